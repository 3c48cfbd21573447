import { setMaxListeners } from 'node:events';
import type { FileHandle } from 'node:fs/promises';
import { DlpoolError } from '../errors.js';
import { openPartHandle } from '../file/part.js';
import { type Segment, writeResumeState } from '../file/resume-state.js';
import type { Job } from '../jobs/job.js';
import { classifyNetworkError, fileError } from './classify.js';
import { type FetchContext, sleepOf } from './context.js';
import { type GetResponse, getFollowingRedirects, speedFloor } from './http.js';
import { bodyFailure, contentRange, header, lengthOf, validatorOf } from './response.js';
import { retryDelay } from './retry.js';
import { throttle } from './throttle.js';

/** Bytes gathered from one segment's body before one positional write... */
const WRITE_BATCH_BYTES = 1024 * 1024;
/** ...or after this long, so a slow connection's bytes (and its saved position) do not lag far behind. */
const WRITE_BATCH_MS = 200;
/** How often the segment positions are saved beside the `.part` while bytes arrive. */
const SAVE_EVERY_MS = 1000;

/** `[0, total)` cut into `n` ranges of near-equal size (the first ones one byte longer when it does not divide). */
export function planSegments(total: number, n: number): Segment[] {
  const count = Math.max(1, Math.min(n, total));
  const base = Math.floor(total / count);
  const longer = total % count;
  const out: Segment[] = [];
  let start = 0;
  for (let i = 0; i < count; i++) {
    const end = start + base + (i < longer ? 1 : 0);
    out.push({ start, pos: start, end });
    start = end;
  }
  return out;
}

/** Bytes of the segments already written. */
export function segmentBytes(segments: readonly Segment[]): number {
  return segments.reduce((n, s) => n + (s.pos - s.start), 0);
}

/**
 * A segment's answer shows that the resource is not the one the other segments hold (a 200 to an If-Range
 * request, a 416, or a Content-Range with another total): the whole file must restart, never be spliced.
 */
export class FileChangedError extends DlpoolError {
  constructor(why: string, init: { url: string; attempt: number }) {
    super(
      'ERR_DL_LENGTH_MISMATCH',
      `the file changed during a segmented download (${why}); restarting`,
      init,
    );
    this.name = 'FileChangedError';
  }
}

/**
 * A 200 with the same validator and length as the first answer, to a range request: the file did not change,
 * the server (or a CDN in front of it) just does not serve ranges although it said so. Restarting with ranges
 * would only loop; the file is fetched again over one connection.
 */
export class RangesIgnoredError extends FileChangedError {
  constructor(init: { url: string; attempt: number }) {
    super('the server answered a range request with the whole file', init);
    this.name = 'RangesIgnoredError';
  }
}

export interface SegmentedDownload {
  job: Job;
  ctx: FetchContext;
  partPath: string;
  rel: string;
  total: number;
  validator: string | undefined;
  /** The plan; `pos` of each advances as bytes are written (the caller keeps it for a resume). */
  segments: Segment[];
  /** A new `.part` (created, sized to `total`) rather than one being resumed. */
  fresh: boolean;
  /** A 200 answer to the first request, whose body feeds the segment starting at 0. */
  first: GetResponse | undefined;
  /** Connections already lent for this file beyond its own slot; given back as runners finish. */
  extra: number;
  /** The file-level attempt, for messages. */
  attempt: number;
  /** Called for each segment retry, so the summary counts them. */
  onRetry: () => void;
}

/**
 * Fetches the unfinished segments over `1 + extra` connections, each writing in place into the one `.part`
 * file, each request carrying `If-Range` with the validator of the first answer. A failed segment is retried
 * and continued on its own; the first error that is not worth a retry stops all of them. Positions are saved
 * beside the `.part` (when there is a validator) so a later run continues every segment where it stopped.
 */
export async function downloadSegments(d: SegmentedDownload): Promise<void> {
  const { ctx, job, total } = d;
  const { opts } = ctx;
  const init = { url: job.displayUrl, attempt: d.attempt };
  const stop = new AbortController();
  // Every segment request and retry sleep listens to it: -x 16 is not a leak.
  setMaxListeners(0, stop.signal);
  const onAbort = () => stop.abort(ctx.signal.reason);
  if (ctx.signal.aborted) onAbort();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  let lent = d.extra;
  let first = d.first;
  // The first answer was requested before the split: stopping the segments must stop its body too.
  const firstBody = d.first?.body;
  stop.signal.addEventListener('abort', () => firstBody?.destroy(), { once: true });
  let failure: unknown;
  let received = segmentBytes(d.segments);
  const progressDue = throttle(opts.progressIntervalMs);
  let lastSave = performance.now();
  const save = () => {
    if (d.validator === undefined) return;
    writeResumeState(d.partPath, {
      url: job.displayUrl,
      validator: d.validator,
      total,
      segments: d.segments,
    });
    lastSave = performance.now();
  };
  const progress = (force: boolean) => {
    if (!progressDue() && !force) return;
    ctx.emit({
      type: 'progress',
      id: job.id,
      url: job.displayUrl,
      path: d.rel,
      transferred: received,
      total,
    });
  };

  let fh: FileHandle | undefined;
  try {
    fh = await openPartHandle(d.partPath, d.fresh, total);
    // The plan is on disk before any byte is, so a killed run never leaves bytes its state does not describe.
    if (d.fresh) save();
    const file = fh;

    /** Writes what one segment gathered at its position, then advances it. */
    const write = async (seg: Segment, chunks: Buffer[], bytes: number) => {
      try {
        let done = (await file.writev(chunks, seg.pos)).bytesWritten;
        if (done < bytes) {
          const rest = Buffer.concat(chunks).subarray(done);
          done += (await file.write(rest, 0, rest.length, seg.pos + done)).bytesWritten;
        }
      } catch (err) {
        throw fileError(err, 'write', d.partPath);
      }
      seg.pos += bytes;
      if (performance.now() - lastSave >= SAVE_EVERY_MS) save();
    };

    /** Reads `res` into `seg` until the segment is full or the body ends; what arrived is written either way. */
    const pump = (seg: Segment, res: GetResponse) =>
      new Promise<void>((resolve, reject) => {
        // 'data' events rather than for-await: the async iterator concatenates buffered chunks (a copy) and
        // costs a promise per chunk, which showed in profiles at 8 connections.
        const body = res.body;
        let chunks: Buffer[] = [];
        let bytes = 0;
        let since = performance.now();
        let writing: Promise<void> | undefined;
        let writeError: unknown;
        let settled = false;
        const flush = (): Promise<void> => {
          since = performance.now();
          if (bytes === 0) return Promise.resolve();
          const [c, b] = [chunks, bytes];
          chunks = [];
          bytes = 0;
          return write(seg, c, b);
        };
        const settle = (err?: unknown) => {
          if (settled) return;
          settled = true;
          // What arrived is written either way: a cut body still moves its segment forward.
          // A failed write (disk full) wins over the body's error: it decides what happens next.
          void (writing ?? Promise.resolve()).then(flush).then(
            () => {
              const first = writeError ?? err;
              if (first === undefined) resolve();
              else reject(first);
            },
            (e: unknown) => reject(writeError ?? e),
          );
        };
        if (body.readableEnded) return settle();
        if (body.destroyed) {
          // Cut while nobody was reading yet (the first answer waits while the file is opened).
          return settle(bodyFailure(body));
        }
        body.on('data', (chunk: Buffer) => {
          const room = seg.end - seg.pos - bytes;
          const piece = chunk.length > room ? chunk.subarray(0, room) : chunk;
          chunks.push(piece);
          bytes += piece.length;
          received += piece.length;
          progress(false);
          const full = seg.pos + bytes >= seg.end;
          if (!full && bytes < WRITE_BATCH_BYTES && performance.now() - since < WRITE_BATCH_MS) return;
          body.pause();
          writing = flush().then(
            () => {
              writing = undefined;
              if (seg.pos >= seg.end) {
                body.destroy(); // the rest of this body belongs to other segments
                settle();
              } else if (!settled) body.resume();
            },
            (err: unknown) => {
              writing = undefined;
              writeError ??= err;
              body.destroy();
              settle(err);
            },
          );
        });
        body.once('end', () => settle());
        body.once('error', (err) => settle(err));
        body.once('close', () => settle(body.readableEnded ? undefined : bodyFailure(body)));
      });

    const request = async (seg: Segment): Promise<GetResponse> => {
      const headers: Record<string, string> = {
        'user-agent': opts.userAgent,
        ...opts.headers,
        range: `bytes=${seg.pos}-${seg.end - 1}`,
      };
      if (d.validator !== undefined) headers['if-range'] = d.validator;
      // --host-rate counts every range request too (waiting holds the range's connection slot).
      const wait = ctx.hostGate?.reserve(job.url.host) ?? 0;
      if (wait > 0) await sleepOf(ctx)(wait, stop.signal);
      const res = await getFollowingRedirects(job.url, {
        dispatcher: ctx.dispatcher,
        headers,
        maxRedirects: opts.maxRedirects,
        allowInsecureRedirects: opts.allowInsecureRedirects,
        signal: stop.signal,
        speed: speedFloor(job, opts),
        limiter: ctx.limiter,
        attempt: d.attempt,
        displayUrl: job.displayUrl,
        close: ctx.keepAlive?.closeAfter(job.hostAgain),
      });
      const range = res.statusCode === 206 ? contentRange(res) : undefined;
      // A range that runs past the segment is fine (pump stops at its end); another total, another start or
      // another strong ETag than the first answer's is another version of the file.
      const etag = header(res, 'etag');
      const otherVersion =
        d.validator !== undefined &&
        d.validator.startsWith('"') &&
        etag !== undefined &&
        etag !== d.validator;
      if (!range || range.start !== seg.pos || range.total !== total || otherVersion) {
        await res.body.dump().catch(() => {});
        const sameFile =
          res.statusCode === 200 &&
          lengthOf(res) === total &&
          (d.validator === undefined ? validatorOf(res) === undefined : validatorOf(res) === d.validator);
        if (sameFile) throw new RangesIgnoredError(init);
        const why =
          res.statusCode === 206
            ? `Content-Range '${String(res.headers['content-range'])}' for bytes ${seg.pos}-${seg.end - 1} of ${total}`
            : `${res.statusCode} to a range request`;
        throw new FileChangedError(why, init);
      }
      return res;
    };

    const runSegment = async (seg: Segment) => {
      let tries = 0;
      let res = seg.start === 0 && seg.pos === 0 ? first : undefined;
      if (res) first = undefined;
      while (seg.pos < seg.end) {
        if (failure !== undefined || stop.signal.aborted) return;
        const before = seg.pos;
        try {
          res ??= await request(seg);
          await pump(seg, res);
          res = undefined;
          if (seg.pos === before) {
            throw Object.assign(new Error('the range ended before its first byte'), {
              code: 'UND_ERR_SOCKET',
            });
          }
        } catch (err) {
          res = undefined;
          if (err instanceof FileChangedError || stop.signal.aborted) throw err;
          const e = classifyNetworkError(err, {
            url: job.displayUrl,
            attempt: d.attempt,
            connectTimeoutMs: opts.connectTimeoutMs,
            timeoutMs: opts.timeoutMs,
          });
          if (seg.pos > before) tries = 0; // progress was made: this segment's budget starts over
          const delay = retryDelay(++tries, e, opts.retry, ctx.random);
          if (delay === 'stop' || failure !== undefined) throw e;
          d.onRetry();
          ctx.emit({
            type: 'retry',
            id: job.id,
            url: job.displayUrl,
            attempt: d.attempt,
            delayMs: delay,
            error: { code: e.code, message: `bytes ${seg.pos}-${seg.end - 1}: ${e.message}`, errno: e.errno },
          });
          await sleepOf(ctx)(delay, stop.signal).catch(() => {});
        }
      }
    };

    const queue = d.segments.filter((s) => s.pos < s.end);
    const runner = async (lentSlot: boolean) => {
      try {
        for (let seg = queue.shift(); seg !== undefined; seg = queue.shift()) await runSegment(seg);
      } catch (err) {
        failure ??= err;
        stop.abort(err);
      } finally {
        if (lentSlot && lent > 0) {
          lent--;
          ctx.slots?.giveBack(job, 1);
        }
      }
    };
    await Promise.all([runner(false), ...Array.from({ length: d.extra }, () => runner(true))]);
    progress(true);
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    if (first) first.body.destroy();
    if (lent > 0) ctx.slots?.giveBack(job, lent);
    await fh?.close().catch(() => {});
    // Where every segment stands now, for a retry or a later run.
    if (failure !== undefined || ctx.signal.aborted) save();
  }
  if (failure !== undefined) throw failure;
  if (ctx.signal.aborted) throw new DlpoolError('ERR_DL_ABORTED', 'interrupted', init);
}
