import { setMaxListeners } from 'node:events';
import type { FileHandle } from 'node:fs/promises';
import { DlpoolError } from '../errors.js';
import { type PartFile, segmentBytes } from '../file/part-file.js';
import type { Segment } from '../file/resume-state.js';
import type { Job } from '../jobs/job.js';
import { fileError } from '../file/file-error.js';
import { classifyNetworkError } from '../transport/classify.js';
import { transportError } from '../transport/failure.js';
import { emitRetry, type FetchContext, sleepOf } from '../policy/context.js';
import type { GetResponse } from '../policy/http.js';
import { bodyFailure, contentRange, header, lengthOf, validatorOf } from '../policy/headers.js';
import { entryHeaders, retryPolicyOf, timeoutOf } from '../policy/entry-settings.js';
import { remoteTimeOf } from '../policy/remote-time.js';
import { getForJob, requestHeaders } from '../policy/request.js';
import { retryDelay } from '../policy/retry.js';
import { throttle } from '../transport/throttle.js';

/** Bytes gathered from one segment's body before one positional write... */
const WRITE_BATCH_BYTES = 1024 * 1024;
/** ...or after this long, so a slow connection's bytes (and its saved position) do not lag far behind. */
const WRITE_BATCH_MS = 200;
/** How often the segment positions are saved beside the `.part` while bytes arrive. */
const SAVE_EVERY_MS = 1000;

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
  /** The `.part`, its size (`total`) and validator known; its segments planned here or continued. */
  part: PartFile;
  /** The name shown in events. */
  rel: string;
  /** The URL every range is asked from: the one whose answer the `.part`'s bytes and validator came from. */
  from: { url: URL; shown: string };
  /** A 200 answer to the first request, whose body feeds the segment starting at 0 (a new split). */
  first: GetResponse | undefined;
  /** Ranges of a new split (`1 + extra`); absent when the saved segments are continued. */
  ranges: number | undefined;
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
  await new SegmentedRun(d).run();
}

/** One segmented download's connections, over the state they share: the file, the failure, the counters. */
class SegmentedRun {
  readonly #d: SegmentedDownload;
  readonly #init: { url: string; attempt: number };
  /** Every segment request and retry sleep listens to it: the first failure (or an interrupt) stops them all. */
  readonly #stop = new AbortController();
  #lent: number;
  #first: GetResponse | undefined;
  #failure: unknown;
  #received = 0;
  readonly #progressDue: () => boolean;
  #lastSave = performance.now();
  #file: FileHandle | undefined;

  constructor(d: SegmentedDownload) {
    this.#d = d;
    this.#init = { url: d.from.shown, attempt: d.attempt };
    this.#lent = d.extra;
    this.#progressDue = throttle(d.ctx.opts.progressIntervalMs);
    this.#first = d.first;
    // -x 16 is not a leak.
    setMaxListeners(0, this.#stop.signal);
  }

  async run(): Promise<void> {
    const { ctx, part } = this.#d;
    const onAbort = () => this.#stop.abort(ctx.signal.reason);
    if (ctx.signal.aborted) onAbort();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    // The first answer was requested before the split: stopping the segments must stop its body too.
    const firstBody = this.#first?.body;
    this.#stop.signal.addEventListener('abort', () => firstBody?.destroy(), { once: true });
    try {
      // The plan is on disk before any byte is, so a killed run never leaves bytes its state does not describe.
      this.#file = await part.openSegments(this.#d.ranges);
      this.#received = segmentBytes(part.segments!);
      const queue = part.segments!.filter((s) => s.pos < s.end);
      await Promise.all([
        this.#runner(queue, false),
        ...Array.from({ length: this.#d.extra }, () => this.#runner(queue, true)),
      ]);
      this.#progress(true);
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
      this.#first?.body.destroy();
      if (this.#lent > 0) ctx.slots?.giveBack(this.#d.job, this.#lent);
      await this.#file?.close().catch(() => {});
      // Where every segment stands now, for a retry or a later run.
      if (this.#failure !== undefined || ctx.signal.aborted) part.saveSegments();
    }
    if (this.#failure !== undefined) throw this.#failure;
    if (ctx.signal.aborted) throw new DlpoolError('ERR_DL_ABORTED', 'interrupted', this.#init);
  }

  /** Takes segments from the shared queue until it is empty or a segment fails for good. */
  async #runner(queue: Segment[], lentSlot: boolean): Promise<void> {
    try {
      for (let seg = queue.shift(); seg !== undefined; seg = queue.shift()) await this.#runSegment(seg);
    } catch (err) {
      this.#failure ??= err;
      this.#stop.abort(err);
    } finally {
      if (lentSlot && this.#lent > 0) {
        this.#lent--;
        this.#d.ctx.slots?.giveBack(this.#d.job, 1);
      }
    }
  }

  /** One segment to its end: requested, pumped, and retried on its own while it makes progress. */
  async #runSegment(seg: Segment): Promise<void> {
    const { job, ctx } = this.#d;
    const { opts } = ctx;
    let tries = 0;
    let res = seg.start === 0 && seg.pos === 0 ? this.#first : undefined;
    if (res) this.#first = undefined;
    while (seg.pos < seg.end) {
      if (this.#failure !== undefined || this.#stop.signal.aborted) return;
      const before = seg.pos;
      try {
        res ??= await this.#request(seg);
        await this.#pump(seg, res);
        res = undefined;
        if (seg.pos === before) {
          throw transportError('closed', 'the range ended before its first byte');
        }
      } catch (err) {
        res = undefined;
        if (err instanceof FileChangedError || this.#stop.signal.aborted) throw err;
        const e = classifyNetworkError(err, {
          url: this.#d.from.shown,
          attempt: this.#d.attempt,
          connectTimeoutMs: opts.connectTimeoutMs,
          timeoutMs: timeoutOf(job, opts),
        });
        if (seg.pos > before) tries = 0; // progress was made: this segment's budget starts over
        const delay = retryDelay(++tries, e, retryPolicyOf(job, opts), ctx.random);
        if (delay === 'stop' || this.#failure !== undefined) throw e;
        this.#d.onRetry();
        emitRetry(ctx, job, this.#d.attempt, delay, {
          code: e.code,
          message: `bytes ${seg.pos}-${seg.end - 1}: ${e.message}`,
          errno: e.errno,
        });
        await sleepOf(ctx)(delay, this.#stop.signal).catch(() => {});
      }
    }
  }

  /** The request for the rest of `seg`; an answer that is not that range of the same file is refused. */
  async #request(seg: Segment): Promise<GetResponse> {
    const { job, ctx, part, from } = this.#d;
    const { opts } = ctx;
    const { total, validator } = part;
    const headers: Record<string, string> = {
      ...entryHeaders(job, requestHeaders(opts), from.url),
      range: `bytes=${seg.pos}-${seg.end - 1}`,
    };
    if (validator !== undefined) headers['if-range'] = validator;
    // --host-rate counts every range request too (waiting holds the range's connection slot).
    const wait = (await ctx.hostGate?.reserve(from.url.host)) ?? 0;
    if (wait > 0) await sleepOf(ctx)(wait, this.#stop.signal);
    const res = await getForJob(job, ctx, from.url, {
      headers,
      signal: this.#stop.signal,
      attempt: this.#d.attempt,
      displayUrl: from.shown,
    });
    const range = res.statusCode === 206 ? contentRange(res) : undefined;
    // A range that runs past the segment is fine (pump stops at its end); another total, another start or
    // another strong ETag than the first answer's is another version of the file.
    const etag = header(res, 'etag');
    const otherVersion =
      validator !== undefined && validator.startsWith('"') && etag !== undefined && etag !== validator;
    if (!range || range.start !== seg.pos || range.total !== total || otherVersion) {
      await res.body.dump().catch(() => {});
      const sameFile =
        res.statusCode === 200 &&
        lengthOf(res) === total &&
        (validator === undefined ? validatorOf(res) === undefined : validatorOf(res) === validator);
      if (sameFile) throw new RangesIgnoredError(this.#init);
      const why =
        res.statusCode === 206
          ? `Content-Range '${String(res.headers['content-range'])}' for bytes ${seg.pos}-${seg.end - 1} of ${total}`
          : `${res.statusCode} to a range request`;
      throw new FileChangedError(why, this.#init);
    }
    // A split continued from a saved `.part` has no first answer: its time comes from a range's.
    part.mtimeMs ??= remoteTimeOf(res, ctx);
    return res;
  }

  /** Reads `res` into `seg` until the segment is full or the body ends; what arrived is written either way. */
  #pump(seg: Segment, res: GetResponse): Promise<void> {
    return new Promise<void>((resolve, reject) => {
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
        return this.#write(seg, c, b);
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
        this.#received += piece.length;
        this.#progress(false);
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
  }

  /** Writes what one segment gathered at its position, then advances it. */
  async #write(seg: Segment, chunks: Buffer[], bytes: number): Promise<void> {
    const file = this.#file!;
    try {
      let done = (await file.writev(chunks, seg.pos)).bytesWritten;
      if (done < bytes) {
        const rest = Buffer.concat(chunks).subarray(done);
        done += (await file.write(rest, 0, rest.length, seg.pos + done)).bytesWritten;
      }
    } catch (err) {
      throw fileError(err, 'write', this.#d.part.path);
    }
    seg.pos += bytes;
    if (performance.now() - this.#lastSave >= SAVE_EVERY_MS) {
      this.#d.part.saveSegments();
      this.#lastSave = performance.now();
    }
  }

  #progress(force: boolean): void {
    const { job, ctx, rel, part } = this.#d;
    if (!this.#progressDue() && !force) return;
    ctx.emit({
      type: 'progress',
      id: job.id,
      url: job.displayUrl,
      path: rel,
      transferred: this.#received,
      total: part.total,
    });
  }
}
