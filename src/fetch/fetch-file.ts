import type { WriteStream } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import { ChecksumMismatchError, DlpoolError, LengthMismatchError, TooLargeError } from '../errors.js';
import type { Digest, ErrorInfo, EventListener, FileResult } from '../events.js';
import type { Hasher } from '../hash/hasher.js';
import type { Expected } from '../verify/checksums.js';
import type { Hash } from 'node:crypto';
import {
  commitPart,
  type DirMaker,
  discardPart,
  existingSize,
  openPart,
  partPathOf,
  partSize,
  writePartSync,
  writeWholeSync,
} from '../file/part.js';
import { readResumeState, removeResumeState, type Segment, writeResumeState } from '../file/resume-state.js';
import { filenameFromContentDisposition } from '../jobs/content-disposition.js';
import type { Job } from '../jobs/job.js';
import { type NameClaimer, relativeName, sanitizeName, sanitizeSubdir, targetPath } from '../jobs/naming.js';
import type { NormalizedOptions } from '../options.js';
import { classifyNetworkError, fileError } from './classify.js';
import { type GetResponse, getFollowingRedirects } from './http.js';
import { acceptsRanges, contentRange, lengthOf, validatorOf } from './response.js';
import { retryDelay } from './retry.js';
import { downloadSegments, FileChangedError, planSegments, segmentBytes } from './segmented.js';

/** What one download needs from its run; shared by every job of the run. */
export interface FetchContext {
  opts: NormalizedOptions;
  dispatcher: Dispatcher;
  /** Claims final names for the run (in threads mode, a worker asks the main thread). */
  names: NameClaimer;
  dirs: DirMaker;
  signal: AbortSignal;
  emit: EventListener;
  random?: () => number;
  /** Where digests are computed (inline, threads, processes); pools start on first use. */
  hasher: Hasher;
  /** Expected digests from --checksums, by path relative to the output directory. */
  expected: ReadonlyMap<string, Expected> | undefined;
  /** PEM text of --ca-certificate, read once; thread workers build their own dispatcher from it. */
  ca?: string | undefined;
  /** Extra connections for segmented downloads (-x), lent from the run's -j slots; none when absent. */
  slots?: ConnectionLender | undefined;
  /** Keys of the warnings already given (sayOnce). */
  said?: Set<string> | undefined;
}

export interface ConnectionLender {
  /** Up to `max` extra connections for `job`, as many as are free now (possibly 0). */
  borrow(job: Job, max: number): number | Promise<number>;
  giveBack(job: Job, n: number): void;
}

interface Done {
  bytes: number;
  digest: Digest | undefined;
}

/** Per-download state that survives from one attempt to the next. */
interface Progress {
  rel: string | undefined;
  /** Bytes of the `.part` file the next attempt may continue from. */
  offset: number;
  /** Expected full size, once a server said. */
  total: number | undefined;
  /** Strong ETag or Last-Modified of the first answer, sent as If-Range on resume. */
  validator: string | undefined;
  attempts: number;
  resumed: boolean;
  /** A checksum mismatch gets one fresh download; set once it has been used. */
  checksumRetried: boolean;
  /** A resume state (`NAME.part.meta`) may exist and must go when the `.part` goes. */
  meta: boolean;
  /** Set while the `.part` is a segmented download (-x): where each range stands. */
  segments: Segment[] | undefined;
  /** Retries of single segments (each also counts in the result's attempts). */
  segmentRetries: number;
}

class Skipped {
  constructor(
    readonly rel: string,
    readonly bytes: number,
  ) {}
}

/**
 * Downloads one job to `NAME.part`, retrying and resuming, and renames it to `NAME` when complete.
 * Never throws: every outcome is a FileResult.
 */
export async function fetchFile(job: Job, ctx: FetchContext): Promise<FileResult> {
  const started = performance.now();
  const { opts } = ctx;
  const state: Progress = {
    rel: job.rel,
    offset: 0,
    total: undefined,
    validator: undefined,
    attempts: 0,
    resumed: false,
    checksumRetried: false,
    meta: false,
    segments: undefined,
    segmentRetries: 0,
  };
  const result = (fields: Partial<FileResult> & Pick<FileResult, 'status' | 'bytes'>): FileResult => ({
    id: job.id,
    url: job.displayUrl,
    source: job.source,
    line: job.line,
    path: state.rel,
    attempts: state.attempts + state.segmentRetries,
    ms: Math.round(performance.now() - started),
    resumed: state.resumed,
    ...fields,
  });

  if (state.rel !== undefined && !opts.overwrite) {
    try {
      const size = existingSize(path.join(opts.dir, state.rel));
      if (size !== undefined) {
        // A file already there is kept only if it is provably the expected one (when a checksum is known).
        const present = await checkPresent(job, ctx, state.rel);
        if (present !== 'mismatch') return result({ status: 'skipped', bytes: size, digest: present });
      }
    } catch (err) {
      return result({ status: 'failed', bytes: 0, error: errorInfo(err, job, state, opts) });
    }
  }

  if (state.rel !== undefined) await resumeFromEarlierRun(job, opts, state);

  for (;;) {
    state.attempts++;
    try {
      const done = await attempt(job, ctx, state);
      return result({ status: 'downloaded', bytes: done.bytes, digest: done.digest });
    } catch (caught) {
      if (caught instanceof Skipped)
        return result({ status: 'skipped', bytes: caught.bytes, path: caught.rel });
      const err = ctx.signal.aborted
        ? new DlpoolError('ERR_DL_ABORTED', 'interrupted', { url: job.displayUrl, attempt: state.attempts })
        : classifyNetworkError(caught, {
            url: job.displayUrl,
            attempt: state.attempts,
            connectTimeoutMs: opts.connectTimeoutMs,
            timeoutMs: opts.timeoutMs,
          });
      const partPath = state.rel === undefined ? undefined : partPathOf(path.join(opts.dir, state.rel));
      if (err instanceof ChecksumMismatchError) {
        // Wrong bytes are never kept, not even as a .part to resume from.
        if (partPath) await dropPart(state, partPath);
        state.offset = 0;
        state.resumed = false;
        if (!state.checksumRetried && !ctx.signal.aborted) {
          state.checksumRetried = true;
          ctx.emit({
            type: 'retry',
            id: job.id,
            url: job.displayUrl,
            attempt: state.attempts,
            delayMs: 0,
            error: errorInfo(err, job, state, opts),
          });
          continue;
        }
        return result({ status: 'failed', bytes: 0, error: errorInfo(err, job, state, opts) });
      }
      if (partPath && err.code === 'ERR_DL_FILE' && DISK_FULL.has(err.errno ?? '')) {
        // A .part that filled the disk cannot finish; kept, it would starve every other download of space.
        await dropPart(state, partPath);
      } else if (partPath && err.code === 'ERR_DL_TOO_LARGE') {
        // Not wanted at all: nothing to resume.
        await dropPart(state, partPath);
      }
      if (partPath && caught instanceof FileChangedError) await dropPart(state, partPath);
      // Whatever reached the disk is the resume point; a short write at the end is simply re-fetched.
      // (A segmented .part is sized in advance: its segments say what it holds.)
      if (partPath && !state.segments) state.offset = await partSize(partPath);
      const delay = ctx.signal.aborted ? 'stop' : retryDelay(state.attempts, err, opts.retry, ctx.random);
      if (delay === 'stop') {
        // Keep partial data for a later resume; an empty .part is just clutter.
        const kept = state.segments ? segmentBytes(state.segments) : state.offset;
        if (partPath && kept === 0) await dropPart(state, partPath);
        return result({ status: 'failed', bytes: kept, error: errorInfo(err, job, state, opts) });
      }
      ctx.emit({
        type: 'retry',
        id: job.id,
        url: job.displayUrl,
        attempt: state.attempts,
        delayMs: delay,
        error: errorInfo(err, job, state, opts),
      });
      try {
        await sleep(delay, undefined, { signal: ctx.signal });
      } catch {
        // Interrupted while waiting: the loop's next attempt sees the aborted signal.
      }
    }
  }
}

/** One HTTP attempt; returns the final size, or throws. */
async function attempt(job: Job, ctx: FetchContext, state: Progress): Promise<Done> {
  const { opts } = ctx;
  if (state.segments && state.rel !== undefined && state.total !== undefined) {
    if (opts.maxSizeBytes !== undefined && state.total > opts.maxSizeBytes) {
      throw new TooLargeError(opts.maxSizeBytes, `the size ${state.total} saved with the .part`, {
        url: job.displayUrl,
        attempt: state.attempts,
      });
    }
    return segmentedBody(job, ctx, state, undefined, 0);
  }
  const headers: Record<string, string> = { 'user-agent': opts.userAgent, ...opts.headers };
  if (state.offset > 0) {
    headers['range'] = `bytes=${state.offset}-`;
    if (state.validator) headers['if-range'] = state.validator;
  }
  if (ctx.signal.aborted) throw new DlpoolError('ERR_DL_ABORTED', 'interrupted');
  const res = await getFollowingRedirects(job.url, {
    dispatcher: ctx.dispatcher,
    headers,
    maxRedirects: opts.maxRedirects,
    allowInsecureRedirects: opts.allowInsecureRedirects,
    signal: ctx.signal,
    attempt: state.attempts,
    displayUrl: job.displayUrl,
  });
  const init = { url: job.displayUrl, attempt: state.attempts };

  let offset = 0;
  let total: number | undefined;
  if (res.statusCode === 416) {
    await res.body.dump().catch(() => {});
    // Our offset does not fit the resource (it shrank or changed): start over on the next attempt.
    state.offset = 0;
    if (state.rel) await dropPart(state, partPathOf(path.join(opts.dir, state.rel)));
    throw new DlpoolError(
      'ERR_DL_LENGTH_MISMATCH',
      'range not satisfiable: the file changed; restarting',
      init,
    );
  }
  if (res.statusCode === 206 && state.offset > 0) {
    const range = contentRange(res);
    if (
      !range ||
      range.start !== state.offset ||
      (state.total !== undefined && range.total !== state.total)
    ) {
      await res.body.dump().catch(() => {});
      state.offset = 0;
      throw new DlpoolError(
        'ERR_DL_LENGTH_MISMATCH',
        'Content-Range does not continue the partial file',
        init,
      );
    }
    offset = state.offset;
    total = range.total ?? state.total;
    state.resumed = true;
  } else if (res.statusCode === 206) {
    // We did not ask for a range; a 206 here cannot be trusted to be the whole file.
    await res.body.dump().catch(() => {});
    throw new DlpoolError('ERR_DL_LENGTH_MISMATCH', 'unexpected 206 answer to a full request', init);
  } else {
    // 200 (also to a Range request: the server sends the whole file, so we start again from zero).
    const length = lengthOf(res);
    total = length;
    const v = validatorOf(res);
    if (state.validator !== undefined && v !== state.validator) state.total = undefined;
    state.validator = v;
  }
  if (total !== undefined) state.total = total;
  const limit = opts.maxSizeBytes;
  if (limit !== undefined && total !== undefined && total > limit) {
    res.body.destroy();
    throw new TooLargeError(limit, `Content-Length ${total}`, init);
  }

  if (state.rel === undefined) {
    try {
      state.rel = await chooseNameFromResponse(job, ctx, res);
    } catch (err) {
      res.body.destroy();
      throw err;
    }
    if (!opts.overwrite) {
      const size = existingSize(path.join(opts.dir, state.rel));
      if (size !== undefined) {
        await res.body.dump().catch(() => {});
        throw new Skipped(state.rel, size);
      }
    }
  }
  const finalPath = targetPath(opts.dir, state.rel);
  const partPath = partPathOf(finalPath);
  if (offset === 0 && total !== undefined && opts.split > 1 && total > opts.minSplitSizeBytes) {
    if (!acceptsRanges(res)) {
      sayOnce(
        ctx,
        `no-ranges ${job.host}`,
        `${job.host} does not accept byte ranges: -x ${opts.split} falls back to one connection per file`,
      );
    } else {
      const extra = (await ctx.slots?.borrow(job, opts.split - 1)) ?? 0;
      // No free -j slot now: one connection, the plain way (the body is already coming).
      if (extra > 0) return segmentedBody(job, ctx, state, res, extra);
    }
  }
  if (offset === 0 && total !== undefined && total <= SMALL_BODY_BYTES) {
    return smallBody(job, ctx, state, res, total, partPath, finalPath, init);
  }
  let received = offset;
  let lastEmit = 0;
  const rel = state.rel;
  const algorithm = algorithmFor(job, ctx, rel);
  // Inline hashing sees every byte only when the body starts at zero; a resumed file is hashed whole later.
  const tap = algorithm !== undefined && offset === 0 ? ctx.hasher.tap(algorithm) : undefined;
  // The body is read from now on, while the .part is being opened: bytes that arrive before a cut are
  // then kept for the resume instead of dying in the stream's buffer. They wait here until the file is open.
  let early: Buffer[] | undefined = [];
  let earlyBytes = 0;
  res.body.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (limit !== undefined && received > limit) {
      res.body.destroy(new TooLargeError(limit, `the body (${received} bytes so far)`, init));
      return;
    }
    tap?.update(chunk);
    if (early) {
      early.push(chunk);
      earlyBytes += chunk.length;
      // A slow open must not let a fast body pile up in memory: pipe() resumes it once the file is open.
      if (earlyBytes >= EARLY_MAX_BYTES) res.body.pause();
      return;
    }
    const now = performance.now();
    if (now - lastEmit >= opts.progressIntervalMs) {
      lastEmit = now;
      ctx.emit({
        type: 'progress',
        id: job.id,
        url: job.displayUrl,
        path: rel,
        transferred: received,
        total,
      });
    }
  });
  let ws: WriteStream;
  try {
    await ctx.dirs.ensure(path.dirname(finalPath));
    ws = await openPart(partPath, offset, opts.writeHighWaterMark);
    if (offset === 0) keepResumeState(job, state, partPath);
  } catch (err) {
    res.body.destroy();
    throw err;
  }
  ctx.emit({
    type: 'start',
    id: job.id,
    url: job.displayUrl,
    path: state.rel,
    attempt: state.attempts,
    total,
    offset,
  });
  for (const chunk of early) ws.write(chunk);
  early = undefined;
  await drainInto(res.body, ws, partPath);
  ctx.emit({ type: 'progress', id: job.id, url: job.displayUrl, path: rel, transferred: received, total });
  if (total !== undefined && received !== total) {
    throw new LengthMismatchError(total, received, init);
  }
  // Verified (when a checksum is known) before it gets its final name.
  const digest = await digestOf(job, ctx, state, partPath, tap, init);
  await commitPart(partPath, finalPath);
  if (state.meta) removeResumeState(partPath);
  return { bytes: received, digest };
}

/**
 * A `.part` left by an earlier run is continued only when the state beside it names the same URL and a
 * validator: the request then carries `If-Range`, so a changed file comes back whole (200) and restarts.
 */
async function resumeFromEarlierRun(job: Job, opts: NormalizedOptions, state: Progress): Promise<void> {
  const partPath = partPathOf(path.join(opts.dir, state.rel!));
  const saved = readResumeState(partPath);
  if (!saved) return;
  state.meta = true;
  if (saved.url !== job.displayUrl) return;
  const size = await partSize(partPath);
  if (size === 0) return;
  state.validator = saved.validator;
  state.total = saved.total;
  if (saved.segments) {
    // A segmented .part is sized to the whole file when it is created; any other size is not ours to trust.
    if (size === saved.total) state.segments = saved.segments;
    return;
  }
  state.offset = size;
}

/** Records (or clears) what a later run needs to resume this `.part`, before any body byte is in it. */
function keepResumeState(job: Job, state: Progress, partPath: string): void {
  if (state.validator !== undefined) {
    writeResumeState(partPath, { url: job.displayUrl, validator: state.validator, total: state.total });
    state.meta = true;
  } else if (state.meta) {
    removeResumeState(partPath);
    state.meta = false;
  }
}

async function dropPart(state: Progress, partPath: string): Promise<void> {
  await discardPart(partPath);
  if (state.meta) removeResumeState(partPath);
  state.meta = false;
  state.segments = undefined;
}

/** A warning given once per run (per worker in --mode threads) for each `key`. */
function sayOnce(ctx: FetchContext, key: string, message: string): void {
  const said = (ctx.said ??= new Set());
  if (said.has(key)) return;
  said.add(key);
  ctx.emit({ type: 'warning', message });
}

/**
 * A file fetched as byte ranges over several connections (-x), written in place into one `.part` that is
 * hashed by path and renamed when every range is complete. `first` is the 200 answer that feeds the range
 * starting at 0 (a new download); without it the saved segments are continued (a retry or a later run).
 */
async function segmentedBody(
  job: Job,
  ctx: FetchContext,
  state: Progress,
  first: GetResponse | undefined,
  extra: number,
): Promise<Done> {
  const { opts } = ctx;
  const rel = state.rel!;
  const total = state.total!;
  const finalPath = targetPath(opts.dir, rel);
  const partPath = partPathOf(finalPath);
  const fresh = first !== undefined;
  if (fresh) {
    state.segments = planSegments(total, 1 + extra);
    // A state from an earlier attempt would describe this .part as contiguous bytes: it goes, or is replaced.
    if (state.validator === undefined && state.meta) removeResumeState(partPath);
    state.meta = state.validator !== undefined;
  } else {
    const left = state.segments!.filter((s) => s.pos < s.end).length;
    extra = left > 1 ? ((await ctx.slots?.borrow(job, Math.min(opts.split, left) - 1)) ?? 0) : 0;
    state.resumed = true;
  }
  const segments = state.segments!;
  // Until downloadSegments owns them, the first body and the lent slots are ours to release.
  try {
    await ctx.dirs.ensure(path.dirname(finalPath));
    ctx.emit({
      type: 'start',
      id: job.id,
      url: job.displayUrl,
      path: rel,
      attempt: state.attempts,
      total,
      offset: segmentBytes(segments),
    });
  } catch (err) {
    first?.body.destroy();
    if (extra > 0) ctx.slots?.giveBack(job, extra);
    throw err;
  }
  await downloadSegments({
    job,
    ctx,
    partPath,
    rel,
    total,
    validator: state.validator,
    segments,
    fresh,
    first,
    extra,
    attempt: state.attempts,
    onRetry: () => state.segmentRetries++,
  });
  const init = { url: job.displayUrl, attempt: state.attempts };
  // Bytes arrived out of order: the digest is taken over the finished file, by the hash pool.
  const digest = await digestOf(job, ctx, state, partPath, undefined, init);
  await commitPart(partPath, finalPath);
  if (state.meta) removeResumeState(partPath);
  state.meta = false;
  state.segments = undefined;
  return { bytes: total, digest };
}

/** Out of space or quota: the partial file is removed so the space goes to the other downloads. */
const DISK_FULL: ReadonlySet<string> = new Set(['ENOSPC', 'EDQUOT']);

/** Bytes of a streamed body held in memory while its `.part` is being opened, before the body is paused. */
const EARLY_MAX_BYTES = 1024 * 1024;

/** Bodies up to this size are collected in memory and written with one synchronous writev. */
const SMALL_BODY_BYTES = 256 * 1024;

async function smallBody(
  job: Job,
  ctx: FetchContext,
  state: Progress,
  res: GetResponse,
  total: number,
  partPath: string,
  finalPath: string,
  init: { url: string; attempt: number },
): Promise<Done> {
  const rel = state.rel!;
  const chunks: Buffer[] = [];
  let received = 0;
  // 'data' events take each chunk as it is parsed, from now on (also while the directory is made); with
  // for-await, chunks still buffered in the stream when the connection fails die with it.
  const arrived = new Promise<void>((resolve, reject) => {
    const body = res.body;
    const failed = () =>
      body.errored ?? Object.assign(new Error('the response closed early'), { code: 'UND_ERR_SOCKET' });
    if (body.destroyed) return reject(failed());
    body.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > total) {
        body.destroy();
        return resolve();
      }
      chunks.push(chunk);
    });
    body.once('end', () => resolve());
    body.once('error', reject);
    body.once('close', () => (body.readableEnded ? resolve() : reject(failed())));
  });
  arrived.catch(() => {}); // awaited below; a failure while the directory is made must not go unhandled
  try {
    await ctx.dirs.ensure(path.dirname(finalPath));
  } catch (err) {
    res.body.destroy();
    throw err;
  }
  ctx.emit({
    type: 'start',
    id: job.id,
    url: job.displayUrl,
    path: rel,
    attempt: init.attempt,
    total,
    offset: 0,
  });
  try {
    await arrived;
  } catch (err) {
    // Cut, stalled or interrupted: keep what arrived in `.part`, exactly as the streaming path does.
    if (chunks.length > 0) {
      keepResumeState(job, state, partPath);
      writePartSync(partPath, chunks);
    }
    throw err;
  }
  if (received !== total) {
    res.body.destroy();
    throw new LengthMismatchError(total, received, init);
  }
  ctx.emit({ type: 'progress', id: job.id, url: job.displayUrl, path: rel, transferred: received, total });
  const algorithm = algorithmFor(job, ctx, rel);
  const tap = algorithm === undefined ? undefined : ctx.hasher.tap(algorithm);
  for (const c of chunks) tap?.update(c);
  if (algorithm === undefined || tap) {
    const digest = await digestOf(job, ctx, state, partPath, tap, init);
    writeWholeSync(partPath, finalPath, chunks);
    if (state.meta) removeResumeState(partPath);
    return { bytes: received, digest };
  }
  // A pool hashes files by path: write the .part, hash it, then rename.
  writePartSync(partPath, chunks);
  const digest = await digestOf(job, ctx, state, partPath, undefined, init);
  await commitPart(partPath, finalPath);
  if (state.meta) removeResumeState(partPath);
  return { bytes: received, digest };
}

/** Digest of a file already under its final name, or 'mismatch' when it is not the expected file. */
async function checkPresent(
  job: Job,
  ctx: FetchContext,
  rel: string,
): Promise<Digest | undefined | 'mismatch'> {
  const want = expectedFor(job, ctx, rel);
  if (!want) return undefined;
  const file = path.join(ctx.opts.dir, rel);
  let hex: string;
  try {
    hex = await ctx.hasher.hashFile(file, want.algorithm);
  } catch (err) {
    throw fileError(err, 'hash', file);
  }
  return hex === want.hex ? { algorithm: want.algorithm, hex, verified: true } : 'mismatch';
}

/** The expected digest of a job: aria2's per-URL checksum= first, then the --checksums file. */
function expectedFor(job: Job, ctx: FetchContext, rel: string): Expected | undefined {
  return job.entry.checksum ?? ctx.expected?.get(rel);
}

function algorithmFor(job: Job, ctx: FetchContext, rel: string): string | undefined {
  return expectedFor(job, ctx, rel)?.algorithm ?? ctx.opts.hash;
}

/** Digest of the complete .part (from the inline tap or the pool), checked against the expected one. */
async function digestOf(
  job: Job,
  ctx: FetchContext,
  state: Progress,
  partPath: string,
  tap: Hash | undefined,
  init: { url: string; attempt: number },
): Promise<Digest | undefined> {
  const rel = state.rel!;
  const want = expectedFor(job, ctx, rel);
  const algorithm = want?.algorithm ?? ctx.opts.hash;
  if (algorithm === undefined) return undefined;
  let hex: string;
  if (tap) hex = tap.digest('hex');
  else {
    try {
      hex = await ctx.hasher.hashFile(partPath, algorithm);
    } catch (err) {
      throw fileError(err, 'hash', partPath);
    }
  }
  if (want && hex !== want.hex) throw new ChecksumMismatchError(algorithm, want.hex, hex, init);
  return { algorithm, hex, verified: want !== undefined };
}

async function chooseNameFromResponse(job: Job, ctx: FetchContext, res: GetResponse): Promise<string> {
  const offered = filenameFromContentDisposition(res.headers['content-disposition']);
  const { out, dir } = job.entry;
  if (offered === undefined || out !== undefined)
    return ctx.names.claim(relativeName({ url: job.url, out, dir }));
  // Only the last component of what the server offers is used: a server never picks the folder.
  const base = sanitizeName(offered.split(/[/\\]/).pop() ?? '');
  const sub = dir ? sanitizeSubdir(dir) : '';
  return ctx.names.claim(sub ? path.posix.join(sub, base) : base);
}

function errorInfo(err: unknown, job: Job, state: Progress, opts: NormalizedOptions): ErrorInfo {
  const e =
    err instanceof DlpoolError
      ? err
      : classifyNetworkError(err, {
          url: job.displayUrl,
          attempt: state.attempts,
          connectTimeoutMs: opts.connectTimeoutMs,
          timeoutMs: opts.timeoutMs,
        });
  const status = 'status' in e && typeof e.status === 'number' ? e.status : undefined;
  const where =
    e.code === 'ERR_DL_FILE'
      ? ''
      : `: GET ${job.displayUrl} (attempt ${state.attempts}/${opts.retry.retries + 1})`;
  return { code: e.code, message: `${e.message}${where}`, errno: e.errno, status };
}

/**
 * Pipes the body into the `.part` file. Unlike stream.pipeline, a failing body (cut connection, timeout,
 * abort) does not destroy the file stream: what was received is flushed first, so a retry or a later run
 * resumes from every byte that arrived.
 */
function drainInto(body: Readable, ws: WriteStream, partPath: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (body.readableEnded) {
      // The whole body arrived while the file was being opened (it waited in memory and is written).
      ws.end((err?: Error | null) => (err ? reject(fileError(err, 'write', partPath)) : resolve()));
      return;
    }
    if (body.destroyed) {
      // The connection failed while the file was being opened: what arrived before is written, and the
      // next attempt resumes from what is on disk.
      const err =
        body.errored ??
        Object.assign(new Error('the response closed before it was read'), { code: 'UND_ERR_SOCKET' });
      ws.end(() => reject(err));
      return;
    }
    let failed = false;
    ws.once('error', (err) => {
      failed = true;
      body.destroy();
      reject(fileError(err, 'write', partPath));
    });
    body.once('error', (err) => {
      if (failed) return;
      failed = true;
      body.unpipe(ws);
      ws.end(() => reject(err));
    });
    ws.once('finish', () => {
      if (!failed) resolve();
    });
    body.pipe(ws);
  });
}
