import yargs, { type Argv, type MiddlewareFunction, type Options } from 'yargs';

interface WithOptions {
  getOptions(): ParsedOptions;
}
import { hideBin } from 'yargs/helpers';
import { DlpoolError } from '../errors.js';
import { DEFAULT_WORKERS, DEFAULTS, HASH_POOL_KINDS } from '../options.js';
import { EXIT } from '../report/summary.js';
import { VERSION } from '../version.js';
import type { BenchArgs } from './bench.js';
import type { GetArgs } from './get.js';
import type { HashArgs } from './hash.js';
import type { MergeArgs } from './merge.js';
import type { QueueArgs, WorkerArgs } from './queue.js';
import type { ServeArgs } from './serve.js';
import { cwdProblem } from './cwd.js';
import { checkValues, type ParsedOptions, unknownOptionsMessage } from './argv-checks.js';
import { GET_OPTIONS, type GetOption, helpText } from './get-options.js';
import { safeLines, safeText } from './render/safe-text.js';
import { DEFAULT_REDIS_TIMEOUT_MS } from '../queue/redis-url.js';
import { ROUTES } from '../server/routes.js';
import { STDIN_TOKEN } from './stdin-token.js';
import type { VerifyArgs } from './verify.js';

/** --hash-pool, -w and --json, as `dlpool verify` and `dlpool hash` both take them. */
function hashingOptions(command: 'verify' | 'hash'): Record<string, Options> {
  return {
    'hash-pool': {
      type: 'string',
      choices: [...HASH_POOL_KINDS],
      describe: `where digests are computed [${DEFAULTS.hashPool}]`,
    },
    workers: { alias: 'w', type: 'number', describe: `pool size [${DEFAULT_WORKERS}]` },
    json: {
      type: 'boolean',
      describe: `print one JSON document, one result per line (schemas/${command}.schema.json)`,
    },
  };
}

/** --redis, --redis-timeout and --queue, as `dlpool queue` and `dlpool worker` both take them. */
function redisOptions(): Record<string, Options> {
  return {
    redis: {
      type: 'string',
      demandOption: true,
      describe: 'Redis URL, redis://[user:password@]host[:port][/db] (rediss:// for TLS)',
    },
    'redis-timeout': {
      type: 'number',
      describe: `seconds to wait for Redis before giving up (exit 2) [${DEFAULT_REDIS_TIMEOUT_MS / 1000}]`,
    },
    queue: { type: 'string', describe: 'queue name [dlpool]' },
  };
}

/** A row of GET_OPTIONS as yargs takes it: every option one value per occurrence (never an array). */
function yargsOption(o: GetOption): Options {
  const type =
    o.kind === 'count' || o.kind === 'rate' || o.kind === 'seconds'
      ? 'number'
      : o.kind === 'boolean' || (o.kind === 'cli' && !o.choices && !o.value)
        ? 'boolean'
        : 'string';
  return {
    type,
    describe: helpText(o),
    ...(o.alias ? { alias: [...o.alias] } : {}),
    ...(o.choices ? { choices: [...o.choices] } : {}),
  };
}

// Each command is loaded when it runs: `dlpool verify` and `dlpool hash` do not pay for undici's start-up.

function getOptions(y: Argv) {
  let argv = y.positional('sources', {
    describe: 'URLs, list files (one URL per line, aria2 input format accepted), or - for stdin',
    type: 'string',
    array: true,
  });
  for (const o of GET_OPTIONS) argv = argv.option(o.flag, yargsOption(o));
  return argv
    .example('$0 https://example.com/a.iso https://example.com/b.iso -d out', 'two files into out/')
    .example(
      '$0 -i list.txt -j 32 -c SHA256SUMS --manifest out/SHA256SUMS -d out',
      'a list, checked and recorded',
    )
    .example('cat urls.txt | $0 - --json | jq -c .results[]', 'URLs from stdin, results as JSON');
}

export async function main(argv: string[]): Promise<void> {
  const cwd = cwdProblem();
  if (cwd !== undefined) {
    process.stderr.write(`dlpool: ${cwd}\n`);
    process.exitCode = EXIT.USAGE;
    return;
  }
  const tokens = argv.map((a) => (a === '-' ? STDIN_TOKEN : a));
  const parser = yargs(tokens)
    .scriptName('dlpool')
    .version(VERSION)
    .usage('$0 [get] <URL | LIST | ->...  download URL lists concurrently')
    .command<GetArgs>(
      ['get [sources..]', '$0 [sources..]'],
      'download URLs and URL lists (the default command)',
      getOptions,
      async (a) => (await import('./get.js')).runGet(a),
    )
    .command<ServeArgs>(
      'serve',
      'serve synthetic files (/gen/SIZE/NAME, lists at /list/COUNTxSIZE) or --root files on 127.0.0.1',
      (y) =>
        y
          .option('root', { type: 'string', describe: 'serve files under this directory instead of /gen/' })
          .option('dotfiles', {
            type: 'boolean',
            describe: 'with --root, also serve hidden files (.env, .git/) [off]',
          })
          .option('port', { type: 'number', describe: 'port, 0 for any free one [0]' })
          .option('host', { type: 'string', describe: 'address to listen on [127.0.0.1]' })
          .option('latency', { type: 'number', describe: 'milliseconds to hold back every response [0]' })
          .option('rate', {
            type: 'string',
            describe: 'pace each connection at BYTES per second, e.g. 10M [unlimited]',
          })
          .option('fail-rate', {
            type: 'number',
            describe: 'share of requests answered 503 + Retry-After: 1 [0]',
          })
          .option('drop-rate', { type: 'number', describe: 'share of bodies cut half-way [0]' })
          .option('seed', { type: 'number', describe: 'seed of the fault dice, for reproducible runs [1]' })
          .example('$0 serve --port 0', 'serve on any free port of 127.0.0.1 (the URL is printed)')
          .example(
            '$0 serve --port 8080 --latency 40 --fail-rate 0.1',
            'a slow server that fails 1 request in 10',
          )
          .epilog(ROUTES),
      async (a) => (await import('./serve.js')).runServe(a),
    )
    .command<VerifyArgs>(
      'verify <sums>',
      'check files on disk against a checksum file, like sha256sum -c, hashing in parallel',
      (y) =>
        y
          .positional('sums', { type: 'string', describe: 'checksum file (GNU coreutils or BSD tag format)' })
          .option('dir', { alias: 'd', type: 'string', describe: 'directory the names are relative to [.]' })
          .options(hashingOptions('verify'))
          .option('quiet', { alias: 'q', type: 'boolean', describe: 'print only failures' })
          .example('$0 verify SHA256SUMS -d out', 'check the files of out/ as sha256sum -c would')
          .example('$0 verify SHA256SUMS --hash-pool threads -w 4 -q', 'on 4 threads, print only failures'),
      async (a) => (await import('./verify.js')).runVerify(a),
    )
    .command<HashArgs>(
      'hash [files..]',
      'print coreutils-format digests of files (like sha256sum), computed in parallel, in argument order',
      (y) =>
        y
          .positional('files', {
            type: 'string',
            array: true,
            describe: 'files to hash (one or more; - is stdin; -- before names starting with -)',
          })
          .option('algo', { type: 'string', describe: 'any node:crypto algorithm [sha256]' })
          .option('recursive', {
            alias: 'r',
            type: 'boolean',
            describe:
              'hash the files under each directory given (as find DIR -type f | sort; links not followed)',
          })
          .options(hashingOptions('hash'))
          .example(
            '$0 hash *.iso --hash-pool threads -w 4 > SHA256SUMS',
            'digests in argument order, 4 at a time',
          )
          .example(
            '$0 hash --algo sha512 -- -odd-name.bin',
            'another algorithm; -- before names that start with -',
          ),
      async (a) => (await import('./hash.js')).runHash(a),
    )
    .command<BenchArgs>(
      'bench [sources..]',
      'run a list under each concurrency mode, -j, worker count and hash pool; report, chart and explain',
      (y) =>
        y
          .positional('sources', { type: 'string', array: true, describe: 'URL list files or URLs' })
          .option('demo', {
            type: 'boolean',
            describe: 'built-in workloads on the embedded server (no list needed)',
          })
          .option('workloads', {
            type: 'string',
            describe: 'with --demo: many-small,few-large,latency,capped [the first three]',
          })
          .option('modes', { type: 'string', describe: 'engines to compare [async,threads]' })
          .option('concurrency', { alias: 'j', type: 'string', describe: '-j values [1,4,16,64]' })
          .option('workers', { alias: 'w', type: 'string', describe: 'worker counts [1,2,4]' })
          .option('hash-pool', { type: 'string', describe: 'hashing: none,inline,threads,processes [all]' })
          .option('split', {
            alias: 'x',
            type: 'string',
            describe: '-x values: connections per large file, e.g. 1,4,8 [1]',
          })
          .option('runs', {
            type: 'number',
            describe: 'timed runs per configuration; the median is reported [3]',
          })
          .option('checksums', {
            alias: 'c',
            type: 'string',
            describe: 'checksum file the reference download must match',
          })
          .option('json', { type: 'string', describe: 'write every measurement to FILE' })
          .option('html', { type: 'string', describe: 'write a self-contained report with charts to FILE' })
          .option('from', {
            type: 'string',
            describe: 'render a saved --json report again instead of running',
          })
          .example(
            '$0 bench --demo --workloads many-small --modes async -j 4,16 --runs 1',
            'a quick look (~15 s here)',
          )
          .example('$0 bench list.txt --html report.html', 'your own list, every mode, with charts')
          .epilog(
            '--demo runs three workloads under every mode, -j, worker count and hash pool, 3 runs each: several ' +
              'minutes. Narrow it with --workloads, --modes, -j, -w, --hash-pool and --runs 1.',
          ),
      async (a) => (await import('./bench.js')).runBenchCommand(a),
    )
    .command<MergeArgs>(
      'merge [dir]',
      'merge the shards of a sharded list (--shard, --shard-size) in DIR: one manifest, the failures',
      (y) =>
        y
          .positional('dir', { type: 'string', describe: 'the --dir of the sharded runs [.]' })
          .option('manifest', {
            type: 'string',
            describe: 'write the merged manifest (sha256sum format) to FILE instead of stdout',
          })
          .option('failed', {
            type: 'string',
            describe: 'write the URLs that failed to FILE, one per line (a list dlpool get takes)',
          })
          .example(
            '$0 merge out --manifest out/SHA256SUMS',
            'after every --shard I/N run into out/ has finished',
          ),
      async (a) => (await import('./merge.js')).runMerge(a),
    )
    .command<QueueArgs>(
      'queue <action> [list]',
      'shards of a list as jobs on Redis (BullMQ): add LIST, status, results',
      (y) =>
        y
          .positional('action', { type: 'string', choices: ['add', 'status', 'results'] })
          .positional('list', { type: 'string', describe: 'the list to add (a path every worker reaches)' })
          .options(redisOptions())
          .option('shard-size', { type: 'number', describe: 'lines per shard (add) [10000]' })
          .option('list-root', {
            type: 'string',
            describe:
              "add: record the list's path relative to DIR (each worker finds it under its own --list-root)",
          })
          .option('json', { type: 'boolean', describe: 'print JSON' })
          .option('watch', {
            type: 'boolean',
            describe: 'status: again every 2 s until no shard waits or runs',
          })
          .example('$0 queue add urls.txt --redis redis://10.0.0.5:6379', 'one job per 10,000 lines')
          .example('$0 queue status --redis redis://10.0.0.5:6379 --watch', 'follow the shards to the end')
          .example('$0 queue results --redis redis://10.0.0.5:6379 > SHA256SUMS', 'the merged manifest'),
      async (a) => (await import('./queue.js')).runQueue(a),
    )
    .command<WorkerArgs>(
      'worker',
      'run shards from the Redis queue through the normal engine (takes every get option)',
      (y) =>
        getOptions(y)
          .options(redisOptions())
          .option('list-root', {
            type: 'string',
            demandOption: true,
            describe:
              'the folder whose lists this worker reads; a job naming a file outside it (links resolved) fails',
          })
          .option('shards-at-once', {
            type: 'number',
            describe:
              'shards this worker runs at the same time, each with its own -j (one connection pool) [1]',
          })
          .option('drain', {
            type: 'boolean',
            describe: 'exit once no shard waits or runs (0, or 1 if a URL failed)',
          })
          .option('lock', {
            type: 'number',
            describe:
              "seconds a shard stays taken without this worker renewing it (a dead worker's shard waits this long) [30]",
          }),
      async (a) => (await import('./queue.js')).runWorkerCommand(a),
    )
    .command('demo', 'start `dlpool serve` and download samples/demo.txt into ./downloads', {}, async () =>
      (await import('./demo.js')).runDemo(),
    )
    .strict()
    .help()
    .alias('h', 'help')
    .alias('V', 'version')
    .wrap(Math.min(110, process.stdout.columns || 110))
    .exitProcess(false)
    // Every value option got a value, every number is one (yargs drops the first and turns the second to NaN).
    // (yargs passes its instance second; its types declare neither that nor getOptions().)
    .middleware(((args: Record<string, unknown>, y: WithOptions) =>
      checkValues(args, tokens, y.getOptions())) as unknown as MiddlewareFunction)
    .fail((msg, err) => {
      if (err) throw err;
      // The options of the command being parsed (yargs' instance holds them while it parses).
      const opts = (parser as unknown as WithOptions).getOptions();
      const known = Object.keys(opts.key).filter((k) => k.length > 1 && !/[A-Z]/.test(k));
      throw new DlpoolError('ERR_DL_USAGE', unknownOptionsMessage(msg, known) ?? msg);
    });
  try {
    await parser.parseAsync();
  } catch (err) {
    if (
      err instanceof DlpoolError &&
      (err.code === 'ERR_DL_USAGE' || err.code === 'ERR_DL_INPUT' || err.code === 'ERR_DL_REDIS')
    ) {
      process.stderr.write(`${safeText(`dlpool: ${err.message}`)}\n`);
      if (err.code === 'ERR_DL_USAGE') process.stderr.write('Try dlpool --help.\n');
      process.exitCode = EXIT.USAGE;
      return;
    }
    process.stderr.write(
      `${safeLines(`dlpool: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`)}\n`,
    );
    process.exitCode = EXIT.FAILED;
  }
}

/**
 * A standard output that goes away (`dlpool LIST | head -2`, a closed terminal) is not the job failing: the
 * files are the job. Later writes to it are dropped, the run goes on, and the exit code reports the work as if
 * the output had been read. Any other error writing it is said once on stderr, then handled the same way.
 */
export function keepGoingWithoutStdout(stdout: NodeJS.WriteStream = process.stdout): void {
  let gone = false;
  stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (gone) return;
    gone = true;
    if (err.code !== 'EPIPE')
      process.stderr.write(`dlpool: cannot write to standard output: ${err.code ?? err.message}\n`);
    // Every writer in the CLI uses stdout.write: after the first failure it writes nowhere.
    stdout.write = (() => true) as typeof stdout.write;
  });
}

export function cli(): Promise<void> {
  keepGoingWithoutStdout();
  return main(hideBin(process.argv));
}
