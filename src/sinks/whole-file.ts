import type { WriteStream } from 'node:fs';
import { LengthMismatchError, TooLargeError } from '../errors.js';
import type { Tap } from '../hash/stream-tap.js';
import type { Job } from '../jobs/job.js';
import { fileError } from '../file/file-error.js';
import { type Done, type DownloadState, emitStart, type FetchContext } from '../policy/context.js';
import { algorithmFor, digestOf } from '../policy/digest.js';
import type { ResponseBody } from '../transport/response-body.js';
import type { GetResponse } from '../policy/http.js';
import { bodyFailure } from '../policy/headers.js';
import { downloadSegments } from './segmented.js';
import { throttle } from '../transport/throttle.js';

// How a response body reaches its `.part`: whole in memory (small), streamed, or in ranges (-x).

/** Bodies up to this size are collected in memory and written with one synchronous writev. */
export const SMALL_BODY_BYTES = 256 * 1024;

/**
 * A body whole in memory. Until it must write a `.part` (a cut body's start, or a file for a hash pool), it
 * holds no lock unless it held one before its request (where an earlier run may have left something: see
 * `own` in fetch-file.ts), and its file is written under a private name and renamed in one synchronous step,
 * which no other run can see half done. The lock's link and unlink cost ~8% of a small file's time (2000 x 16
 * KiB over TLS into tmpfs).
 */
export async function smallBody(
  job: Job,
  ctx: FetchContext,
  state: DownloadState,
  res: GetResponse,
  total: number,
  init: { url: string; attempt: number },
): Promise<Done> {
  const { part } = state;
  // (Shown in events: the offered name, not the temporary one; see nameFromResponse.)
  const rel = state.offered ?? state.rel!;
  const chunks: Buffer[] = [];
  // Every chunk is taken as it is parsed, from now on (also while the directory is made); chunks that arrived
  // before a failure stay in `chunks`.
  const arrived = res.body.collect(chunks, total);
  arrived.catch(() => {}); // awaited below; a failure while the directory is made must not go unhandled
  emitStart(ctx, job, state, total, 0);
  let received: number;
  try {
    received = await arrived;
  } catch (err) {
    // Cut, stalled or interrupted: keep what arrived in `.part`, exactly as the streaming path does (unless
    // another run holds the `.part`: then it is that run's to fill).
    if (chunks.length > 0 && part.lockIfFree()) {
      part.keepState();
      part.writeSync(chunks);
    }
    throw err;
  }
  if (received !== total) {
    res.body.destroy();
    throw new LengthMismatchError(total, received, init);
  }
  ctx.emit({ type: 'progress', id: job.id, url: job.displayUrl, path: rel, transferred: received, total });
  const algorithm = algorithmFor(job, ctx);
  // What is left is synchronous with no digest or an inline one (a digest thread's answer is waited for).
  const sync = algorithm === undefined || ctx.hasher.kind === 'inline';
  if (sync && state.offered === undefined) await lendForFileWork(job, ctx, state);
  const tap = algorithm === undefined ? undefined : ctx.hasher.tap(algorithm);
  for (const c of chunks) tap?.update(c);
  if (algorithm === undefined || tap) {
    const digest = await digestOf(job, ctx, part.path, tap, init);
    part.finishWholeSync(chunks);
    return { bytes: received, digest };
  }
  // A pool hashes files by path: write the .part, hash it, then rename.
  part.lock();
  part.writeSync(chunks);
  const digest = await digestOf(job, ctx, part.path, undefined, init);
  await part.finish(received);
  return { bytes: received, digest };
}

/**
 * The body is whole in memory and what is left (hash it, write, rename) is synchronous: the slot goes to the next
 * download now, and this file is written two turns of the event loop later. undici writes a request on a reused
 * connection only two turns after its last answer (setImmediate twice: its drain, then its check of the idle
 * socket), so the next request leaves first and the server works on it while this file is written. Else every
 * request of a batch of answers waited for all of their files: on 2000 x 16 KiB from nginx and on the latency
 * workload (2000 answers 40 ms late) the run took ~15% longer. At most one body per connection waits so (the
 * next answer there comes after the next request).
 */
async function lendForFileWork(job: Job, ctx: FetchContext, state: DownloadState): Promise<void> {
  const lend = ctx.slots?.lend;
  if (lend === undefined) return;
  lend(job);
  state.lent = true;
  await new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));
}

/**
 * A file fetched as byte ranges over several connections (-x), written in place into one `.part` that is
 * hashed by path and renamed when every range is complete. `first` is the 200 answer that feeds the range
 * starting at 0 (a new download); without it the saved segments are continued (a retry or a later run).
 */
export async function segmentedBody(
  job: Job,
  ctx: FetchContext,
  state: DownloadState,
  first: GetResponse | undefined,
  extra: number,
  /** Where every range is asked: the URL that gave `first`, or the saved `.part`'s bytes. */
  from: { url: URL; shown: string },
): Promise<Done> {
  const { opts } = ctx;
  const { part } = state;
  const rel = state.rel!;
  const total = part.total!;
  // Pinned already when this continues a saved .part; made and pinned here for a new split.
  part.site ??= ctx.dirs.site(rel, true)!;
  const fresh = first !== undefined;
  if (!fresh) {
    const left = part.segments!.filter((s) => s.pos < s.end).length;
    extra = left > 1 ? ((await ctx.slots?.borrow(job, Math.min(opts.split, left) - 1)) ?? 0) : 0;
    state.resumed = true;
  }
  // Until downloadSegments owns them, the first body and the lent slots are ours to release.
  try {
    emitStart(ctx, job, state, total, fresh ? 0 : part.held());
  } catch (err) {
    first?.body.destroy();
    if (extra > 0) ctx.slots?.giveBack(job, extra);
    throw err;
  }
  await downloadSegments({
    job,
    ctx,
    part,
    rel: state.offered ?? rel,
    from,
    first,
    ranges: fresh ? 1 + extra : undefined,
    extra,
    attempt: state.attempts,
    onRetry: () => state.segmentRetries++,
  });
  const init = { url: job.displayUrl, attempt: state.attempts };
  // Bytes arrived out of order: the digest is taken over the finished file, by the hash pool.
  const digest = await digestOf(job, ctx, part.path, undefined, init);
  await part.finish(total);
  return { bytes: total, digest };
}

/**
 * Writes the body into the `.part` file as it arrives, pausing the body while the file stream holds more than
 * its highWaterMark. Unlike stream.pipeline, a failing body (cut connection, timeout, abort) does not destroy
 * the file stream: what was received is flushed first, so a retry or a later run resumes from every byte
 * that arrived.
 */
export function drainInto(body: ResponseBody, ws: WriteStream, partPath: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (body.readableEnded) {
      // The whole body arrived while the file was being opened (it waited in memory and is written).
      ws.end((err?: Error | null) => (err ? reject(fileError(err, 'write', partPath)) : resolve()));
      return;
    }
    if (body.destroyed) {
      // The connection failed while the file was being opened: what arrived before is written, and the
      // next attempt resumes from what is on disk.
      const err = bodyFailure(body);
      ws.end(() => reject(err));
      return;
    }
    let failed = false;
    ws.once('error', (err) => {
      failed = true;
      body.destroy();
      reject(fileError(err, 'write', partPath));
    });
    ws.on('drain', () => body.resume());
    body.on('data', (chunk: Buffer) => {
      if (!failed && !ws.write(chunk)) body.pause();
    });
    body.once('end', () => {
      if (failed) return;
      ws.end((err?: Error | null) => {
        if (!err) resolve();
      });
    });
    body.once('close', () => {
      if (failed || body.readableEnded) return;
      failed = true;
      const err = bodyFailure(body);
      ws.end(() => reject(err));
    });
    // A body that was paused while the file was opened flows again.
    body.resume();
  });
}

/** Bytes of a streamed body held in memory while its `.part` is being opened, before the body is paused. */
const EARLY_MAX_BYTES = 1024 * 1024;

/** The body of `attempt` for a body streamed to `.part` (fed to `tap` on the way when there is one). */
export async function streamBody(
  job: Job,
  ctx: FetchContext,
  state: DownloadState,
  res: GetResponse,
  o: {
    offset: number;
    total: number | undefined;
    limit: number | undefined;
    rel: string;
    tap: Tap | undefined;
    init: { url: string; attempt: number };
  },
): Promise<Done> {
  const { opts } = ctx;
  const { part } = state;
  const { offset, total, limit, rel, tap, init } = o;
  let received = offset;
  const progressDue = throttle(opts.progressIntervalMs);
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
    // A digest thread that falls behind pauses the body until it catches up (memory stays bounded).
    if (tap && !tap.update(chunk)) {
      res.body.pause();
      void tap.whenDrained().then(() => res.body.resume());
    }
    if (early) {
      early.push(chunk);
      earlyBytes += chunk.length;
      // A slow open must not let a fast body pile up in memory: pipe() resumes it once the file is open.
      if (earlyBytes >= EARLY_MAX_BYTES) res.body.pause();
      return;
    }
    if (progressDue()) {
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
    ws = await part.open(offset, opts.writeHighWaterMark);
  } catch (err) {
    res.body.destroy();
    throw err;
  }
  emitStart(ctx, job, state, total, offset);
  for (const chunk of early) ws.write(chunk);
  early = undefined;
  await drainInto(res.body, ws, part.path);
  ctx.emit({ type: 'progress', id: job.id, url: job.displayUrl, path: rel, transferred: received, total });
  if (total !== undefined && received !== total) {
    throw new LengthMismatchError(total, received, init);
  }
  // Verified (when a checksum is known) before it gets its final name.
  const digest = await digestOf(job, ctx, part.path, tap, init);
  await part.finish(received);
  return { bytes: received, digest };
}
