/**
 * The options of download() as a caller gives them (DownloadOptions, every default documented), the default and
 * value rule of each (DOWNLOAD_OPTION_TABLE: normalizeOptions() applies them, and the CLI flag that sets an
 * option takes them from there by its `key`), and the options as the run reads them (NormalizedOptions).
 */

import os from 'node:os';
import type { Readable } from 'node:stream';
import type { CookieChoice } from './credentials/cookie-access.js';
import type { NetrcChoice } from './credentials/netrc.js';
import type { EventListener } from './events.js';
import { HASH_POOL_KINDS, type HashPoolKind } from './hash/hasher.js';
import type { OutputFile } from './jobs/one-output.js';
import type { ListEntry } from './sources/types.js';
import type { ProxySettings } from './transport/proxy.js';
import type { Transport } from './transport/transport.js';
import {
  delayRange,
  HOST_RATE_RANGE,
  type NumberRange,
  RETRIES_RANGE,
  SPEED_LIMIT_RANGE,
  TIMEOUT_RANGE,
  wholeRange,
} from './option-values.js';
import { VERSION } from './version.js';

/** How downloads run: all on this event loop, or spread over worker threads (--mode). */
export type EngineMode = 'async' | 'threads';

/** The engine modes, in the order --help lists them. */
export const ENGINE_MODES: readonly EngineMode[] = ['async', 'threads'];

/** Half the cores, at least one: the default size of every worker pool. Computed here and nowhere else. */
export const DEFAULT_WORKERS = Math.max(1, Math.floor(os.availableParallelism() / 2));

/** A run's share of a list cut into shards (see src/shards/shards.ts). */
export interface ShardOptions {
  /** Lines per shard. */
  size: number;
  /** This run takes the shards K with K mod count = index. */
  index: number;
  count: number;
  /**
   * Where shard `index` starts in the list (`queue add` found it): the run reads that shard alone, from its
   * byte offset, instead of the whole list.
   */
  start?: { offset: number; line: number; bytes?: Uint8Array | undefined } | undefined;
  /** Final names settled before the run (by `queue add`, reading the whole list) for lines of this shard. */
  names?: ReadonlyMap<number, string> | undefined;
}

export interface RetryPolicy {
  /** Retries after the first attempt. @default 5 */
  retries: number;
  /** First backoff delay; doubles per attempt, jittered. @default 500 */
  baseDelayMs: number;
  /** Cap on one backoff delay. @default 30000 */
  maxDelayMs: number;
  /** A Retry-After longer than this gives up instead of waiting. @default 300000 */
  maxRetryAfterMs: number;
}

/** Options of `download()`. Every field is optional; `normalizeOptions()` fills in the defaults. */
export interface DownloadOptions {
  /** URLs, list files, or `-` for stdin, mixed freely. */
  sources?: string[];
  /** Entries given directly (library use), downloaded after `sources`. */
  entries?: Iterable<string | ListEntry> | AsyncIterable<string | ListEntry>;
  /**
   * Stream read for the source `-`. The library reads no stream of its own: without it, `-` is ERR_DL_USAGE (the
   * CLI passes process.stdin). It is destroyed when `signal` aborts the run while it is being read.
   */
  stdin?: Readable;
  /**
   * The environment the run reads: `HTTP_PROXY`, `HTTPS_PROXY` and `NO_PROXY` (either case) with `proxy: 'env'`.
   * The library reads no environment of its own: without it, no proxy (the CLI passes process.env).
   */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Output directory, created if missing. @default '.' */
  dir?: string;
  /**
   * Save the run's one URL as this file (curl -o, wget -O), relative to `dir` (an absolute path as it is); its
   * folder is the run's output directory. The sources must hold exactly one entry, else ERR_DL_USAGE before
   * anything is fetched. The file arrives as any other (`.part` beside it, renamed when complete).
   * `'-'`: the body is written to `stdout` instead (curl -o -): no file, nothing under `dir`; a retry continues
   * from the bytes written (Range, If-Range: only with the server's ETag or Last-Modified) or fails with ERR_DL_NO_RESUME, and a checksum mismatch is found
   * after the bytes went out. A failing stream (EPIPE) ends the download with ERR_DL_FILE and its errno.
   * @default undefined (names from the URLs)
   */
  output?: string | undefined;
  /** The stream `output: '-'` writes the body to, and `cookieJar: '-'` the cookies (the CLI passes process.stdout). */
  stdout?: NodeJS.WritableStream | undefined;
  /** Total simultaneous downloads. @default 16 */
  concurrency?: number;
  /** Simultaneous downloads per host. @default unlimited (up to concurrency) */
  perHost?: number | undefined;
  /** Extra request headers, as an object or as `"Key: Value"` strings. */
  headers?: Record<string, string> | string[];
  /** @default `dlpool/<version>` */
  userAgent?: string;
  /** @default 10 */
  maxRedirects?: number;
  /**
   * Follow a redirect from https: to http:. Off, such a redirect fails with ERR_DL_INSECURE_REDIRECT
   * before anything is sent to the http: URL. @default false
   */
  allowInsecureRedirects?: boolean;
  /**
   * PEM file of the certificate authorities trusted for https: instead of Node's bundled ones
   * (curl --cacert, aria2 --ca-certificate). @default undefined (Node's bundled CAs)
   */
  caCertificate?: string | undefined;
  /**
   * Basic credentials from `~/.netrc` (the home of `env.HOME`, else the account's) for the hosts of the run's
   * URLs, as curl --netrc: a URL's own `user:pass@` wins; never sent on a redirect to another origin. A missing
   * file is no credentials. Off by default, as in curl. @default false
   */
  netrc?: boolean;
  /** As `netrc`, from this file, which must exist (curl --netrc-file). */
  netrcFile?: string | undefined;
  /**
   * Cookies, as curl -b takes them: a Netscape cookie file (curl -c's, a browser export's), or, when it holds `=`,
   * `NAME=VALUE; ...` sent as it is with every request of the run. Either turns the cookie engine on: cookies go
   * where their domain, path, secure flag and expiry say (tough-cookie's rules), also on redirects, and each
   * response's Set-Cookie is kept for later requests. @default no cookies
   */
  cookie?: string | undefined;
  /**
   * Write the run's cookies to this file when it ends (also when interrupted), Netscape format, mode 0600; `'-'`:
   * to `stdout` instead (curl -c -), which then must not carry the body (`output: '-'`).
   */
  cookieJar?: string | undefined;
  /**
   * Do not check TLS certificates (curl -k): any certificate is accepted, for every host of the run, redirect
   * targets included, and `caCertificate` is then not used. The run emits one warning saying so. @default false
   */
  insecure?: boolean;
  /**
   * Offer HTTP/2 (ALPN h2) on every https: connection of the run and use it where the server takes it; HTTP/1.1
   * where it does not, for http: and through a proxy. Off by default: on loopback one h2 connection per host measured slower than
   * several HTTP/1.1 connections for many small files (README, benchmarks). @default false
   */
  http2?: boolean;
  /** @default 10000 */
  connectTimeoutMs?: number;
  /** Idle time without a byte before an attempt is abandoned. @default 30000 */
  timeoutMs?: number;
  /**
   * An attempt slower than this many bytes per second for `speedTimeMs` is abandoned (and retried, resuming),
   * like curl's --speed-limit: a server that trickles a byte now and then never holds a download for ever.
   * 0 turns it off. @default 100
   */
  speedLimitBytes?: number;
  /** The window of `speedLimitBytes` (curl's --speed-time). @default 60000 */
  speedTimeMs?: number;
  /**
   * All downloads together take at most this many bytes per second (curl's and wget's --limit-rate), on
   * average over the run; 0 is no limit. In --mode threads the worker threads take from one bucket.
   * @default unlimited
   */
  limitRateBytes?: number | undefined;
  /**
   * At most this many requests per second start to each host (host:port), evenly spaced; a host that answers
   * 429 or 503 gets nothing before its Retry-After and half its rate from then on. Fractions are fine (0.5:
   * one request every 2 s). In --mode threads the worker threads take their turns at one gate per host.
   * @default unlimited
   */
  hostRate?: number | undefined;
  /**
   * Cut the list (one list file, or `-`) into shards of `shardSize` lines and take the shards K with
   * K mod count = index (`--shard I/N`); each finished shard is recorded under DIR/.dlpool/shards/ and skipped by
   * a rerun. Implies hashing (sha256 unless `hash` says otherwise). @default no sharding
   */
  shard?:
    | {
        index: number;
        count: number;
        /**
         * Where shard `index` starts (byte offset and line number, as `dlpool queue add` plans it): the run reads
         * only that shard of the list file, so a worker's cost per shard does not grow with the list. `count` is
         * then the list's shard count. With `bytes` (the shard's bytes, read and checked by the caller, as a
         * queue worker does) those are parsed instead of the file, which is not opened: `source` still names it.
         */
        start?: { offset: number; line: number; bytes?: Uint8Array | undefined } | undefined;
        /**
         * Names for lines of that shard whose file name an earlier line of the list took (line -> relative
         * path, as a run of the whole list names them; `queue add` settles them): a shard read alone names its
         * files as one run of the list would.
         */
        names?: Readonly<Record<number, string>> | undefined;
      }
    | undefined;
  /** Lines per shard (with `shard`, or alone: every shard, recorded). @default 10000 */
  shardSize?: number | undefined;
  /** Retries per download; shorthand for `retry.retries`. @default 5 */
  retries?: number;
  retry?: Partial<RetryPolicy>;
  /** Re-download files that already exist under their final name. @default false */
  overwrite?: boolean;
  /**
   * A file already there is asked for again only if the server's copy changed (wget -N): a conditional GET with
   * If-None-Match (the ETag kept under DIR/.dlpool/ when a -N run downloaded it) or else If-Modified-Since (the
   * file's time). 304 keeps the file as it is (status `unchanged`); a changed copy replaces it atomically. A
   * server that sends neither validator gets the file downloaded again. Not with `overwrite`. @default false
   */
  timestamping?: boolean;
  /**
   * A downloaded file's modification time is the server's Last-Modified when it sent a valid one (wget's
   * default, curl -R), set before the file gets its final name; else the local time. @default true
   */
  remoteTime?: boolean;
  /**
   * Check every URL instead of downloading it (wget --spider, aria2 --dry-run): a HEAD, or a one-byte range GET
   * where HEAD is refused (400, 403, 405, 501), with the run's redirects, credentials rules, retries and naming.
   * Each result is `checked` (with `check`: HTTP status, announced size, method) or the failure a real run would
   * meet; nothing is written under `dir`, which is not even made. @default false
   */
  spider?: boolean;
  /**
   * Fail, without fetching it, every download whose expected digest is unknown (no `checksum=` and no entry in
   * `checksums`).
   * @default false
   */
  requireChecksum?: boolean;
  /** Name files from the Content-Disposition header when it gives a name. @default false */
  contentDisposition?: boolean;
  /**
   * Digest every downloaded file with this node:crypto algorithm (sha256, sha1, sha512, md5, ...).
   * @default 'sha256' when a checksum is known or a manifest is asked for, else none
   */
  hash?: string | undefined;
  /** Where digests are computed; inline measured fastest for downloads on this 2-core machine (README). @default 'inline' */
  hashPool?: HashPoolKind;
  /** Hash-pool size, and download threads with `mode: 'threads'`. @default half the cores (DEFAULT_WORKERS) */
  workers?: number;
  /** A checksum file (GNU coreutils or BSD tag format) whose entries must match the downloads. */
  checksums?: string | undefined;
  /** Write a coreutils-format checksum file of everything downloaded. */
  manifest?: string | undefined;
  /**
   * Engine: `async` runs every download on this event loop; `threads` spreads them over `workers` worker
   * threads (each with its own event loop), -j and --per-host still counted across all of them.
   * @default 'async'
   */
  mode?: EngineMode;
  /** Proxies; `'env'` reads HTTP_PROXY, HTTPS_PROXY and NO_PROXY as curl does. @default 'env' */
  proxy?: ProxySettings | 'env' | 'none';
  /**
   * Largest file accepted, in bytes: a download stops as soon as its Content-Length (or Content-Range total) or
   * the bytes received pass it (ERR_DL_TOO_LARGE, not retried). @default unlimited
   */
  maxSizeBytes?: number | undefined;
  /**
   * Connections per file (aria2's -x/-s): a file larger than `minSplitSizeBytes` from a server that accepts
   * byte ranges is fetched as this many ranges at once, written in place into one `.part`. Extra connections
   * are taken from the free -j slots. @default 1 (off)
   */
  split?: number;
  /** Files up to this size are never split. @default 16777216 (16 MiB) */
  minSplitSizeBytes?: number;
  /**
   * Emit a `headers` event with the lines of every request sent and every response received (curl -v), per
   * attempt, range and redirect hop; credentials and cookie values redacted. @default false
   */
  verbose?: boolean;
  /** Write buffer per file; 1 MiB measured ~2x the default on Node 20. @default 1048576 */
  writeHighWaterMark?: number;
  /** Least time between two progress events of one file. @default 100 */
  progressIntervalMs?: number;
  /**
   * Collect every FileResult in `DownloadSummary.results`. Turn it off for long lists: the counts stay
   * exact, and `onEvent` still sees each `result` as it finishes (the CLI streams them from there).
   * @default true
   */
  keepResults?: boolean;
  /**
   * The transport to download through (--mode async), kept open when the run ends: runs one after another
   * (queue workers, one run per shard) keep their connections. Made from these options when absent; worker
   * threads (--mode threads) always make their own. The library exports the adapter of a caller's own pool.
   */
  transport?: Transport | undefined;
  signal?: AbortSignal;
  onEvent?: EventListener;
}

/**
 * How normalizeOptions() checks an option and what it defaults to:
 * - `flag`: true or false;
 * - `number`: a number in `range` (whole where the range says so);
 * - `choice`: one of `choices`;
 * - `path`: a non-empty file path;
 * - `own`: checked by code of its own in normalizeOptions() (it depends on other options, or is not one value);
 *   `range` and `default` are still its rule, which the CLI flag that sets it takes too.
 * A row without `default` has none: the option stays undefined (or its code decides).
 */
export interface OptionRule {
  readonly rule: 'flag' | 'number' | 'choice' | 'path' | 'own';
  readonly default?: unknown;
  readonly range?: NumberRange;
  readonly choices?: readonly string[];
  /** How docs say the default when it is not one value to print (`half the cores`); Markdown. */
  readonly said?: string;
}

const flag = <const D extends boolean>(d: D) => ({ rule: 'flag', default: d }) as const;
function number(range: NumberRange): { readonly rule: 'number'; readonly range: NumberRange };
function number(
  range: NumberRange,
  d: number,
): { readonly rule: 'number'; readonly range: NumberRange; readonly default: number };
function number(range: NumberRange, d?: number) {
  return d === undefined ? { rule: 'number', range } : { rule: 'number', range, default: d };
}
const choice = <const C extends readonly string[]>(choices: C, d: C[number]) =>
  ({ rule: 'choice', choices, default: d }) as const;
const filePath = { rule: 'path' } as const;
const own = <const R extends Omit<OptionRule, 'rule'>>(r: R = {} as R) => ({ rule: 'own', ...r }) as const;

const RETRY_DEFAULTS = {
  retries: 5,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 300_000,
} as const satisfies RetryPolicy;

/**
 * Every option of download(), with its default and the rule its value is checked by; the compiler checks the keys
 * against DownloadOptions (one missing here, or here and not there, does not build), and normalizeOptions()
 * refuses any other key. A flag of the CLI that sets an option names it by `key` and takes its default, range
 * and choices from its row, so each is written once.
 */
export const DOWNLOAD_OPTION_TABLE = {
  sources: own(),
  entries: own(),
  stdin: own(),
  env: own(),
  dir: own({ default: '.' }),
  output: own(),
  stdout: own(),
  concurrency: number(wholeRange(1, 10_000), 16),
  perHost: own({ range: wholeRange(1, 10_000) }),
  headers: own(),
  userAgent: own({ default: `dlpool/${VERSION}`, said: '`dlpool/<version>`' }),
  maxRedirects: number(wholeRange(0, 1000), 10),
  allowInsecureRedirects: flag(false),
  caCertificate: filePath,
  netrc: own({ default: false }),
  netrcFile: own(),
  cookie: own(),
  cookieJar: own(),
  insecure: flag(false),
  http2: flag(false),
  connectTimeoutMs: number(delayRange(), 10_000),
  timeoutMs: number(TIMEOUT_RANGE, 30_000),
  speedLimitBytes: number(SPEED_LIMIT_RANGE, 100),
  speedTimeMs: number(delayRange(), 60_000),
  // 0: no limit, as curl --limit-rate 0.
  limitRateBytes: own({ range: wholeRange(0) }),
  hostRate: own({ range: HOST_RATE_RANGE }),
  shard: own(),
  shardSize: own({ range: wholeRange(1), default: 10_000 }),
  retries: own({ range: RETRIES_RANGE, default: RETRY_DEFAULTS.retries }),
  retry: own({ default: RETRY_DEFAULTS }),
  overwrite: flag(false),
  timestamping: flag(false),
  remoteTime: flag(true),
  spider: flag(false),
  requireChecksum: flag(false),
  contentDisposition: flag(false),
  mode: choice(ENGINE_MODES, 'async'),
  hash: own(),
  hashPool: choice(HASH_POOL_KINDS, 'inline'),
  workers: { ...number(wholeRange(1, 256), DEFAULT_WORKERS), said: 'half the cores' },
  checksums: filePath,
  manifest: filePath,
  proxy: own({ default: 'env' }),
  maxSizeBytes: number(wholeRange(1)),
  split: number(wholeRange(1, 64), 1),
  minSplitSizeBytes: number(wholeRange(1), 16 * 1024 * 1024),
  writeHighWaterMark: number(wholeRange(1024), 1024 * 1024),
  verbose: flag(false),
  progressIntervalMs: number(delayRange(0), 100),
  keepResults: flag(true),
  transport: own(),
  signal: own(),
  onEvent: own(),
} as const satisfies { readonly [K in keyof DownloadOptions]-?: OptionRule };

type Table = typeof DOWNLOAD_OPTION_TABLE;

/** The options normalizeOptions() checks and defaults by their row alone (every rule but `own`). */
export type RuledKey = { [K in keyof Table]: Table[K] extends { rule: 'own' } ? never : K }[keyof Table];

/** An option's value once its row's rule checked it and its default filled it in. */
type Ruled<R> = R extends { rule: 'flag' }
  ? boolean
  : R extends { rule: 'number'; default: number }
    ? number
    : R extends { rule: 'number' }
      ? number | undefined
      : R extends { rule: 'choice'; choices: readonly (infer C)[] }
        ? C
        : string | undefined;

export type RuledOptions = { [K in RuledKey]: Ruled<Table[K]> };

type Defaults = {
  readonly [K in keyof Table as Table[K] extends { default: unknown } ? K : never]: Table[K] extends {
    default: infer D;
  }
    ? D
    : never;
};

type Ranges = {
  readonly [K in keyof Table as Table[K] extends { range: NumberRange } ? K : never]: NumberRange;
};

/** The default of every option that has one. */
export const DEFAULTS = Object.fromEntries(
  Object.entries(DOWNLOAD_OPTION_TABLE).flatMap(([k, r]) => ('default' in r ? [[k, r.default]] : [])),
) as Defaults;

/** The range of every number option (for normalizeOptions, the CLI flags that set them and per-entry options). */
export const DOWNLOAD_RANGES = Object.fromEntries(
  Object.entries(DOWNLOAD_OPTION_TABLE).flatMap(([k, r]) => ('range' in r ? [[k, r.range]] : [])),
) as Ranges;

/** The options as the run reads them: checked, with the defaults filled in. */
export interface NormalizedOptions extends RuledOptions {
  sources: string[];
  entries: Iterable<string | ListEntry> | AsyncIterable<string | ListEntry> | undefined;
  stdin: Readable | undefined;
  dir: string;
  /** The one file of an `output` run (its folder is `dir`), or `-` for `stdout`. */
  output: OutputFile | '-' | undefined;
  stdout: NodeJS.WritableStream | undefined;
  perHost: number;
  /** Open connections past which each is closed after its response (see fitOpenFiles). @default Infinity */
  maxConnections: number;
  headers: Record<string, string>;
  userAgent: string;
  netrc: NetrcChoice | undefined;
  cookies: CookieChoice | undefined;
  limitRateBytes: number | undefined;
  hostRate: number | undefined;
  shards: ShardOptions | undefined;
  retry: RetryPolicy;
  hash: string | undefined;
  proxy: ProxySettings | undefined;
  transport: Transport | undefined;
  signal: AbortSignal | undefined;
  onEvent: EventListener;
}
