import {
  DEFAULT_SHARD_SIZE,
  DEFAULT_WORKERS,
  DEFAULTS,
  type DownloadOptions,
  ENGINE_MODES,
  HASH_POOL_KINDS,
} from '../options.js';

/**
 * How a flag's value is read and handed to the library:
 * - `count`: a whole number >= 0; `rate`: a number above 0; `seconds`: a number of seconds above 0, handed over
 *   in milliseconds; `size`: bytes with a suffix (`500K`, `2M`, `1G`) of at least `min`;
 * - `string`, `boolean`, `choice`: as given; `headers`: one `"Name: value"` per occurrence; `shard`: `I/N`;
 *   `cli`: the CLI's own.
 */
export type OptionKind =
  'count' | 'rate' | 'seconds' | 'size' | 'string' | 'boolean' | 'choice' | 'headers' | 'shard' | 'cli';

export interface GetOption {
  /** The long flag, without `--`. */
  flag: string;
  /** Short or other names, without dashes (`j`, `cacert`). */
  alias?: readonly string[];
  kind: OptionKind;
  /** The library option it sets (DownloadOptions); none for what only the CLI does (output, progress). */
  key?: keyof DownloadOptions;
  choices?: readonly string[];
  /** The value's name in the README (`N`, `FILE`, `SEC`, `BYTES`). */
  value?: string;
  /** The default, as the README's table and --help say it ('' when there is none to say). */
  default: string;
  /** The --help line. */
  help: string;
  /** The README's "meaning" column (Markdown). */
  doc: string;
  /** For `size`: the smallest value and examples for the error message. */
  size?: { min: number; unit: string; examples: string };
}

const MiB = 1024 * 1024;

/**
 * Every option of `dlpool get`, in the order of --help and the README's table: yargs is built from it, argv is
 * turned into library options by it (toDownloadOptions), the library's own errors are reworded with its flags,
 * and test/unit/cli/get-options.test.ts checks the README's table and the library's option names against it.
 */
export const GET_OPTIONS: readonly GetOption[] = [
  {
    flag: 'input-file',
    alias: ['i'],
    kind: 'cli',
    value: 'FILE',
    default: '',
    help: 'a URL list file, as aria2c -i and wget -i take it (repeat for more; same as naming it)',
    doc: 'a list file, as `aria2c -i` and `wget -i` take it (repeatable; the same as naming it)',
  },
  {
    flag: 'dir',
    alias: ['d'],
    kind: 'string',
    key: 'dir',
    value: 'DIR',
    default: `\`${DEFAULTS.dir}\``,
    help: 'output directory, created if missing',
    doc: 'output directory, created if missing',
  },
  {
    flag: 'concurrency',
    alias: ['j'],
    kind: 'count',
    key: 'concurrency',
    value: 'N',
    default: String(DEFAULTS.concurrency),
    help: 'simultaneous downloads in total (lowered, with a warning, to what ulimit -n holds)',
    doc: 'simultaneous downloads in total; lowered (with a warning) to what `ulimit -n` holds',
  },
  {
    flag: 'per-host',
    kind: 'count',
    key: 'perHost',
    value: 'N',
    default: 'unlimited (up to `-j`)',
    help: 'simultaneous downloads per host',
    doc: 'simultaneous downloads per host (host:port)',
  },
  {
    flag: 'header',
    alias: ['H'],
    kind: 'headers',
    key: 'headers',
    value: '"K: V"',
    default: '',
    // One value per occurrence, as in curl (repeat -H for more): an array option would swallow the URLs after it.
    help: 'extra request header "Name: value" (repeat for more)',
    doc: 'extra request header; one per `-H`, repeat for more (anywhere on the line, as in curl)',
  },
  {
    flag: 'user-agent',
    kind: 'string',
    key: 'userAgent',
    value: 'S',
    default: '`dlpool/<version>`',
    help: 'User-Agent header',
    doc: 'User-Agent header',
  },
  {
    flag: 'max-redirects',
    kind: 'count',
    key: 'maxRedirects',
    value: 'N',
    default: String(DEFAULTS.maxRedirects),
    help: 'redirects followed per request',
    doc: 'redirects followed per request',
  },
  {
    flag: 'split',
    alias: ['x'],
    kind: 'count',
    key: 'split',
    value: 'N',
    default: `${DEFAULTS.split} (off)`,
    help: 'connections per large file, as byte ranges written in place',
    doc: 'connections per large file: byte ranges written in place into one `.part` (see below)',
  },
  {
    flag: 'min-split-size',
    kind: 'size',
    key: 'minSplitSizeBytes',
    value: 'BYTES',
    default: `\`${DEFAULTS.minSplitSizeBytes / MiB}M\``,
    help: 'files up to this size are not split',
    doc: 'files up to this size are never split',
    size: { min: 1, unit: 'bytes', examples: '1M or 16M' },
  },
  {
    flag: 'max-size',
    kind: 'size',
    key: 'maxSizeBytes',
    value: 'BYTES',
    default: 'unlimited',
    help: 'largest file accepted, e.g. 500M; bigger ones fail as soon as that shows',
    doc: 'largest file accepted (`500K`, `10M`, `2G`); bigger fail at once (`ERR_DL_TOO_LARGE`)',
    size: { min: 1, unit: 'bytes', examples: '500K, 10M or 2G' },
  },
  {
    flag: 'allow-insecure-redirects',
    kind: 'boolean',
    key: 'allowInsecureRedirects',
    default: 'off',
    help: 'follow redirects from https: to http: (refused by default)',
    doc: 'follow a redirect from `https:` to `http:`; off, it fails with `ERR_DL_INSECURE_REDIRECT` before anything is sent to the `http:` URL',
  },
  {
    flag: 'ca-certificate',
    alias: ['cacert'],
    kind: 'string',
    key: 'caCertificate',
    value: 'FILE',
    default: "Node's bundled CAs",
    help: "PEM file of CAs trusted for https: instead of Node's bundled ones",
    doc: 'PEM file of the certificate authorities trusted for `https:`, instead of the bundled ones (as curl `--cacert`)',
  },
  {
    flag: 'connect-timeout',
    kind: 'seconds',
    key: 'connectTimeoutMs',
    value: 'SEC',
    default: String(DEFAULTS.connectTimeoutMs / 1000),
    help: 'seconds to establish a connection',
    doc: 'time to establish a connection',
  },
  {
    flag: 'timeout',
    kind: 'seconds',
    key: 'timeoutMs',
    value: 'SEC',
    default: String(DEFAULTS.timeoutMs / 1000),
    help: 'seconds without a byte before an attempt is abandoned',
    doc: 'idle time without a byte (headers or body) before an attempt is abandoned',
  },
  {
    flag: 'speed-limit',
    kind: 'size',
    key: 'speedLimitBytes',
    value: 'BYTES',
    default: String(DEFAULTS.speedLimitBytes),
    help: 'abandon (and retry) an attempt slower than BYTES per second, e.g. 1K; 0: never',
    doc: "an attempt slower than this many bytes/s over `--speed-time` is abandoned and retried (resuming); `0` turns it off; aria2's `lowest-speed-limit=` sets it per entry",
    size: { min: 0, unit: 'bytes per second', examples: '0, 500 or 10K' },
  },
  {
    flag: 'speed-time',
    kind: 'seconds',
    key: 'speedTimeMs',
    value: 'SEC',
    default: String(DEFAULTS.speedTimeMs / 1000),
    help: 'seconds over which --speed-limit is measured',
    doc: "the window of `--speed-limit` (curl's `--speed-time`)",
  },
  {
    flag: 'retries',
    kind: 'count',
    key: 'retries',
    value: 'N',
    default: String(DEFAULTS.retry.retries),
    help: 'retries per download (per URL, with mirrors)',
    doc: 'retries per download after the first attempt (per URL, with mirrors)',
  },
  {
    flag: 'overwrite',
    kind: 'boolean',
    key: 'overwrite',
    default: 'off',
    help: 're-download files that already exist',
    doc: 're-download files that already exist under their final name',
  },
  {
    flag: 'content-disposition',
    kind: 'boolean',
    key: 'contentDisposition',
    default: 'off',
    help: 'name files from the Content-Disposition header',
    doc: "name files from the server's `Content-Disposition` (last path component only, sanitised)",
  },
  {
    flag: 'progress',
    kind: 'cli',
    choices: ['auto', 'bars', 'plain', 'none'],
    default: '`auto`',
    help: 'bars on a TTY, plain lines otherwise',
    doc: 'bars on a TTY (stderr), plain lines otherwise (also for `bars`); `none`: only failures and the totals',
  },
  {
    flag: 'mode',
    kind: 'choice',
    key: 'mode',
    choices: ENGINE_MODES,
    default: `\`${DEFAULTS.mode}\``,
    help: 'async: one event loop; threads: -w worker threads, -j counted across them',
    doc: '`async`: every download on one event loop; `threads`: `-w` worker threads, each with its own event loop and connection pool, jobs handed to the least busy; `-j` and `--per-host` still count across all of them',
  },
  {
    flag: 'hash',
    kind: 'string',
    key: 'hash',
    value: 'ALGO',
    default: '`sha256` when a checksum is known or `--manifest` is given, else off',
    help: 'digest every file: sha256, sha1, sha512, md5, any node:crypto name',
    doc: 'digest every file of the list, downloaded or already present (shown in the result lines and `--json`)',
  },
  {
    flag: 'hash-pool',
    kind: 'choice',
    key: 'hashPool',
    choices: HASH_POOL_KINDS,
    default: `\`${DEFAULTS.hashPool}\``,
    help: 'where digests are computed',
    doc: 'where digests are computed: on the main thread as bytes stream in; on digest threads as bytes stream in (files on disk by path in a worker-thread pool); or finished files by path in a child-process pool (tinypool); see "Where hashing runs"',
  },
  {
    flag: 'workers',
    alias: ['w'],
    kind: 'count',
    key: 'workers',
    value: 'N',
    default: 'half the cores',
    help: `hash-pool size, and download threads with --mode threads (here: ${DEFAULT_WORKERS})`,
    doc: 'hash-pool size and, with `--mode threads`, download threads: `max(1, floor(availableParallelism / 2))`; pools start on first use and stop with the run',
  },
  {
    flag: 'checksums',
    alias: ['c'],
    kind: 'string',
    key: 'checksums',
    value: 'FILE',
    default: '',
    help: "checksum file (sha256sum or BSD tag format) to verify against (not wget's -c: resuming is the default)",
    doc: "checksum file (GNU `HEX  NAME`, `HEX *NAME`, the escaped form, or BSD `SHA256 (NAME) = HEX`); entries match files by path relative to `--dir`; untagged lines get their algorithm from the digest length; other lines are warned about as `FILE:LINE` (the first 10, then how many more), and a file with no checksum line at all is refused (exit 2); not wget's or aria2c's `-c` (continue): dlpool resumes by default",
  },
  {
    flag: 'limit-rate',
    kind: 'size',
    key: 'limitRateBytes',
    value: 'RATE',
    default: 'unlimited',
    help: 'all downloads together at most this many bytes per second on average, e.g. 500K, 1.5M; 0: no limit',
    doc: "all downloads together take at most RATE bytes per second on average over the run (`500K`, `1.5M`; `0`: no limit; as curl and wget): sockets rest while a shared bucket refills, which starts empty and saves up at most a quarter of a second of bytes; with `--mode threads` each thread gets an equal share; the speed floor is off when a download's share of RATE is below it",
    size: { min: 0, unit: 'bytes per second', examples: '500K or 2M' },
  },
  {
    flag: 'host-rate',
    kind: 'rate',
    key: 'hostRate',
    value: 'N',
    default: 'unlimited',
    help: 'at most N requests per second to each host, e.g. 2 or 0.5; a 429/503 there halves it (and Retry-After pauses it)',
    doc: 'at most N requests per second start to each host (`2`, `0.5`), evenly spaced, for politeness; a host that answers 429 or 503 gets nothing before its `Retry-After` and half its rate for the rest of the run; with `--mode threads` each thread keeps an equal share',
  },
  {
    flag: 'require-checksum',
    kind: 'boolean',
    key: 'requireChecksum',
    default: 'off',
    help: 'fail (without fetching) every URL with no checksum in -c FILE or checksum=',
    doc: 'fail, without fetching, every URL that has no checksum in `-c FILE` or `checksum=` (without it, `-c` warns how many files it did not cover)',
  },
  {
    flag: 'manifest',
    kind: 'string',
    key: 'manifest',
    value: 'FILE',
    default: '',
    help: 'write a sha256sum-format file of every file of the list on disk, in list order',
    doc: 'write a coreutils-format checksum file of every file of the list on disk, downloaded or already present, in list order (hashed on a rerun; names relative to `--dir`: run `sha256sum -c` there)',
  },
  {
    flag: 'shard',
    kind: 'shard',
    key: 'shard',
    value: 'I/N',
    default: '',
    help: 'cut the list into shards (--shard-size lines) and take those K with K mod N = I',
    doc: 'cut the list (one file, or `-`) into shards of `--shard-size` lines and download only the shards K with K mod N = I, so N processes or machines share a list with no coordination (see "Shards")',
  },
  {
    flag: 'shard-size',
    kind: 'count',
    key: 'shardSize',
    value: 'N',
    default: String(DEFAULT_SHARD_SIZE),
    help: 'lines per shard; alone, every shard of the list is taken and recorded',
    doc: 'lines per shard; each finished shard leaves its results, digests and a marker under `DIR/.dlpool/shards/`, and a rerun skips it',
  },
  {
    flag: 'quiet',
    alias: ['q'],
    kind: 'cli',
    default: 'off',
    help: 'print only failures',
    doc: 'print only failures',
  },
  {
    flag: 'json',
    kind: 'cli',
    default: 'off',
    help: 'print one JSON document on stdout, one result per line (schemas/get.schema.json)',
    doc: 'print one JSON document on stdout, one result per line, and nothing else there (`schemas/get.schema.json`)',
  },
];

/** How an option looks in the README's table: `-j, --concurrency N`, `--mode async\|threads`, `--cacert`. */
export function readmeName(o: GetOption): string {
  const shorts = (o.alias ?? []).filter((a) => a.length === 1).map((a) => `-${a}, `);
  const longs = (o.alias ?? []).filter((a) => a.length > 1).map((a) => ` (\`--${a}\`)`);
  const value = o.choices ? o.choices.join('\\|') : o.value;
  return `\`${shorts.join('')}--${o.flag}${value ? ` ${value}` : ''}\`${longs.join('')}`;
}

/** The --help text of an option: its line, and its default in brackets (Markdown quotes removed). */
export function helpText(o: GetOption): string {
  const d = o.default.replace(/`/g, '');
  return d === '' || d === 'off' ? o.help : `${o.help} [${d}]`;
}

/** The flag (`--per-host`) of a library option, for messages about what the user typed. */
export function flagOf(key: string): string | undefined {
  const o = GET_OPTIONS.find((x) => x.key === key);
  return o && `--${o.flag}`;
}
