import { setMaxListeners } from 'node:events';
import { AsyncEngine } from './engine/async.js';
import type { Engine } from './engine/engine.js';
import { DlpoolError, UsageError } from './errors.js';
import { shardJobs } from './shards/shard-jobs.js';
import { ShardStore } from './shards/shards.js';
import type { ErrorInfo, FileResult } from './events.js';
import { insecureWarning, loadCaCertificate } from './transport/settings.js';
import { loadNetrc } from './credentials/netrc.js';
import { withinOpenFiles } from './policy/open-files.js';
import { runState } from './policy/run-state.js';
import type { RunClock } from './policy/context.js';
import type { FetchContext } from './fetch/fetch-file.js';
import { DirMaker } from './file/dirs.js';
import { entriesFrom, toJobs } from './jobs/jobs.js';
import { NameRegistry } from './jobs/naming.js';
import { OfferedNames } from './jobs/offered-names.js';
import { checkOutputFile, oneEntry } from './jobs/one-output.js';
import { fetchToStream, STREAM_NAME } from './fetch/to-stream.js';
import { type DownloadOptions, type EngineMode, normalizeOptions } from './options.js';
import { type DownloadSummary, SummaryBuilder } from './report/summary.js';
import { openSources, URL_LIKE } from './sources/sources.js';
import { createHasher } from './hash/hasher.js';
import { loadExpected, ManifestWriter } from './verify/manifest.js';
import type { SourceItem } from './sources/types.js';
import { OWN_DIR } from './store/layout.js';

/** The threads engine (and worker_threads) loads only when a run asks for it. */
const ENGINES: Record<EngineMode, () => Engine | Promise<Engine>> = {
  async: () => new AsyncEngine(),
  threads: async () => new (await import('./engine/threads.js')).ThreadsEngine(),
};

/** The names settled before the run (a shard read alone) on their lines' entries. */
async function* withSettledNames(items: AsyncIterable<SourceItem>, names: ReadonlyMap<number, string>) {
  for await (const item of items) {
    const name = item.kind === 'entry' ? names.get(item.line) : undefined;
    yield name === undefined ? item : { ...item, settledName: name };
  }
}

async function* concat(a: AsyncIterable<SourceItem>, b: AsyncIterable<SourceItem>) {
  yield* a;
  yield* b;
}

/**
 * Downloads every URL of `options.sources` / `options.entries` into `options.dir`.
 * Throws DlpoolError (ERR_DL_USAGE, ERR_DL_INPUT) before anything downloads when an option or input is bad;
 * after that it never throws for a single download: failures are results with an error code.
 */
export async function download(
  options: DownloadOptions,
  /** An engine instance instead of the one `options.mode` names (tests inject hooks this way). */
  engineOverride?: Engine,
  /** A clock of the caller's own for the run's waits (tests: see RunClock); real time when absent. */
  clock?: RunClock,
): Promise<DownloadSummary> {
  const opts = withinOpenFiles(normalizeOptions(options));
  const started = performance.now();
  if (
    opts.shards &&
    (opts.entries !== undefined || opts.sources.length !== 1 || URL_LIKE.test(opts.sources[0]!))
  ) {
    throw new UsageError('shard: cut one list into shards: give exactly one list file (or - for stdin)');
  }
  // A dry run writes nothing: not a manifest, not a shard's record, not a body on stdout.
  if (opts.spider && (opts.shards || opts.manifest || opts.output === '-')) {
    const what = opts.shards ? 'shard records' : opts.manifest ? 'a manifest' : 'a body to stdout (-o -)';
    throw new UsageError(`spider: checks the URLs and writes nothing, so not ${what}`);
  }
  if (opts.output && (opts.shards || opts.manifest)) {
    throw new UsageError(`output: a run of one URL has no ${opts.shards ? 'shards' : 'manifest'} to write`);
  }
  const start = opts.shards?.start;
  if (start && opts.sources[0] === '-') {
    throw new UsageError('shard.start: a shard is read from its byte offset in a list file, not from stdin');
  }
  const ca = opts.caCertificate ? await loadCaCertificate(opts.caCertificate) : undefined;
  const netrc = opts.netrc ? await loadNetrc(opts.netrc, opts.onEvent) : undefined;
  // (tough-cookie and its public-suffix list load only for a run with cookies.)
  const cookies = opts.cookies
    ? await (await import('./credentials/cookies.js')).CookieSession.load(opts.cookies, opts.onEvent)
    : undefined;
  const expected = opts.checksums ? await loadExpected(opts.checksums, opts.onEvent, opts.hash) : undefined;
  const manifest = opts.manifest
    ? await ManifestWriter.open(opts.manifest, opts.hash ?? 'sha256')
    : undefined;
  const sourceItems = await openSources(opts.sources, {
    ...(opts.stdin ? { stdin: opts.stdin } : {}),
    signal: opts.signal,
    ...(start
      ? {
          range: {
            offset: start.offset,
            firstLine: start.line,
            endLine: start.line + opts.shards!.size,
            ...(start.bytes ? { bytes: start.bytes } : {}),
          },
        }
      : {}),
  });
  // (Each layer of async generators costs a promise and an object per item: none for a list alone.)
  let items: AsyncIterable<SourceItem> = opts.entries
    ? concat(sourceItems, entriesFrom(opts.entries))
    : opts.shards?.names?.size
      ? withSettledNames(sourceItems, opts.shards.names)
      : sourceItems;
  const names = new NameRegistry();
  const offered = opts.contentDisposition ? new OfferedNames(names) : undefined;
  const controller = new AbortController();
  // Every in-flight request and backoff sleep listens to this one signal; -j 64 is not a leak.
  setMaxListeners(0, controller.signal);
  // Interrupted downloads that wait for their turn to claim an offered name claim at once (nothing is lost).
  if (offered) controller.signal.addEventListener('abort', () => offered.release(), { once: true });
  const onAbort = () => controller.abort(opts.signal?.reason);
  if (opts.signal?.aborted) onAbort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const run = runState(opts, { ca, clock });
  // Said by the run that made the transport (worker threads make theirs from the same options and say nothing);
  // a queue worker's shards share their worker's.
  const insecure = run.ownsTransport ? insecureWarning(opts) : undefined;
  if (insecure !== undefined) opts.onEvent({ type: 'warning', message: insecure });
  const summary = new SummaryBuilder(opts.keepResults);
  const runErrors: ErrorInfo[] = [];
  const ctx: FetchContext = {
    opts,
    transport: run.transport,
    names: {
      claim: (rel) => names.claim(rel),
      claimOffered: (id, rel, wait) => (offered ? offered.claim(id, rel, wait) : names.claim(rel)),
    },
    dirs: new DirMaker(opts.dir),
    limiter: run.limiter,
    hostGate: run.hostGate,
    keepAlive: run.keepAlive,
    clock: run.clock,
    signal: controller.signal,
    emit: opts.onEvent,
    hasher: createHasher(opts.hashPool, opts.workers),
    expected,
    ca,
    netrc,
    cookies,
  };
  const toStream = opts.output === '-' ? opts.stdout : undefined;
  const engine = toStream ? undefined : (engineOverride ?? (await ENGINES[opts.mode]()));
  let shards: ShardStore | undefined;
  const onResult = (r: FileResult) => {
    offered?.settle(r.id);
    shards?.add(r);
    summary.add(r);
    manifest?.add(r.id, r.path, r.digest);
    opts.onEvent({ type: 'result', result: r });
  };
  try {
    if (opts.output) {
      if (opts.output !== '-') await checkOutputFile(opts.output, options.output!);
      items = await oneEntry(items, opts.output === '-' ? undefined : opts.output.name);
    }
    if (toStream) {
      // One body to a stream, on this thread (a worker thread would only add a hop): no folder is made or
      // looked at, nothing is written under dir.
      for await (const j of toJobs(items, { names, emit: opts.onEvent })) {
        onResult('job' in j ? await fetchToStream(j.job, ctx, toStream) : j.result);
      }
    } else {
      try {
        // (--spider: the output directory is not made, nor opened.)
        if (!opts.spider) ctx.dirs.open();
      } catch (err) {
        // The output directory cannot be made or opened: a bad -d, before anything downloads.
        if (err instanceof DlpoolError && err.code === 'ERR_DL_FILE') {
          throw new DlpoolError('ERR_DL_INPUT', err.message, { cause: err, errno: err.errno });
        }
        throw err;
      }
      // (Made after the output directory was looked at: dlpool's own folder does not make it "not empty".)
      if (opts.shards) {
        shards = new ShardStore(opts.dir, opts.shards, opts.sources[0]!, ctx.dirs);
        names.claim(OWN_DIR);
      }
      const listed = (count: number) => opts.onEvent({ type: 'listed', count });
      const all = toJobs(items, { names, offered, emit: opts.onEvent, onListed: shards ? () => {} : listed });
      const jobs = shards ? shardJobs(all, shards, listed) : all;
      await engine!.run(jobs, ctx, onResult);
    }
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    // Closes list files even when the run stopped before reading them to the end.
    await sourceItems.close();
    if (run.ownsTransport) await run.transport.destroy().catch(() => {});
    await ctx.hasher.close();
    ctx.dirs.close();
    // The files are there, but the manifest or the cookie jar the user asked for is not: said, and the run fails.
    const failed = (err: unknown) => {
      const e = err instanceof DlpoolError ? err : new DlpoolError('ERR_DL_FILE', String(err));
      runErrors.push({ code: e.code, message: e.message, errno: e.errno });
    };
    await manifest?.close().catch(failed);
    // Also after an interruption: the session's cookies are what a rerun continues with.
    const jar = opts.cookies?.jar;
    if (jar === '-' && opts.stdout) await cookies?.writeTo(opts.stdout).catch(failed);
    else if (jar !== undefined) await cookies?.save(jar).catch(failed);
  }
  const reason = controller.signal.aborted ? controller.signal.reason : undefined;
  const interrupted = reason === undefined ? undefined : typeof reason === 'string' ? reason : 'aborted';
  // Shard files not written: their shards are done but not recorded; the run says so and fails.
  for (const e of shards?.errors ?? []) runErrors.push({ code: e.code, message: e.message, errno: e.errno });
  // (A body written to a stream went to no folder: the summary says `-`, as its result's path does.)
  const where = toStream ? STREAM_NAME : opts.dir;
  const built = summary.build(where, Math.round(performance.now() - started), interrupted, runErrors);
  if (shards) built.shards = { taken: shards.taken, skipped: shards.skipped };
  return built;
}
