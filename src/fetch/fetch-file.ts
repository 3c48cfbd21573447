import type { WriteStream } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import { DlpoolError, LengthMismatchError } from '../errors.js';
import type { ErrorInfo, EventListener, FileResult } from '../events.js';
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
import { filenameFromContentDisposition } from '../jobs/content-disposition.js';
import type { Job } from '../jobs/job.js';
import { type NameRegistry, relativeName, sanitizeName, sanitizeSubdir, targetPath } from '../jobs/naming.js';
import type { NormalizedOptions } from '../options.js';
import { classifyNetworkError, fileError } from './classify.js';
import { type GetResponse, getFollowingRedirects } from './http.js';
import { retryDelay } from './retry.js';

/** What one download needs from its run; shared by every job of the run. */
export interface FetchContext {
  opts: NormalizedOptions;
  dispatcher: Dispatcher;
  names: NameRegistry;
  dirs: DirMaker;
  signal: AbortSignal;
  emit: EventListener;
  random?: () => number;
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
}

class Skipped {
  constructor(
    readonly rel: string,
    readonly bytes: number,
  ) {}
}

function header(res: GetResponse, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function lengthOf(res: GetResponse): number | undefined {
  const v = header(res, 'content-length');
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

/** `bytes a-b/total` → numbers; undefined when absent or malformed. */
function contentRange(
  res: GetResponse,
): { start: number; end: number; total: number | undefined } | undefined {
  const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header(res, 'content-range')?.trim() ?? '');
  if (!m) return undefined;
  return { start: Number(m[1]), end: Number(m[2]), total: m[3] === '*' ? undefined : Number(m[3]) };
}

function validatorOf(res: GetResponse): string | undefined {
  const etag = header(res, 'etag');
  if (etag && !etag.startsWith('W/')) return etag;
  return header(res, 'last-modified');
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
  };
  const result = (fields: Partial<FileResult> & Pick<FileResult, 'status' | 'bytes'>): FileResult => ({
    id: job.id,
    url: job.displayUrl,
    source: job.source,
    line: job.line,
    path: state.rel,
    attempts: state.attempts,
    ms: Math.round(performance.now() - started),
    resumed: state.resumed,
    ...fields,
  });

  if (state.rel !== undefined && !opts.overwrite) {
    try {
      const size = existingSize(path.join(opts.dir, state.rel));
      if (size !== undefined) return result({ status: 'skipped', bytes: size });
    } catch (err) {
      return result({ status: 'failed', bytes: 0, error: errorInfo(err, job, state, opts) });
    }
  }

  for (;;) {
    state.attempts++;
    try {
      const bytes = await attempt(job, ctx, state);
      return result({ status: 'downloaded', bytes });
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
      // Whatever reached the disk is the resume point; a short write at the end is simply re-fetched.
      if (partPath) state.offset = await partSize(partPath);
      const delay = ctx.signal.aborted ? 'stop' : retryDelay(state.attempts, err, opts.retry, ctx.random);
      if (delay === 'stop') {
        // Keep partial data for a later resume; an empty .part is just clutter.
        if (partPath && state.offset === 0) await discardPart(partPath);
        return result({ status: 'failed', bytes: state.offset, error: errorInfo(err, job, state, opts) });
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
async function attempt(job: Job, ctx: FetchContext, state: Progress): Promise<number> {
  const { opts } = ctx;
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
    if (state.rel) await discardPart(partPathOf(path.join(opts.dir, state.rel)));
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

  if (state.rel === undefined) {
    state.rel = chooseNameFromResponse(job, ctx, res);
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
  if (offset === 0 && total !== undefined && total <= SMALL_BODY_BYTES) {
    return smallBody(job, ctx, res, state.rel, total, partPath, finalPath, init);
  }
  let ws: WriteStream;
  try {
    await ctx.dirs.ensure(path.dirname(finalPath));
    ws = await openPart(partPath, offset, opts.writeHighWaterMark);
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

  let received = offset;
  let lastEmit = 0;
  const rel = state.rel;
  res.body.on('data', (chunk: Buffer) => {
    received += chunk.length;
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
  await drainInto(res.body, ws, partPath);
  ctx.emit({ type: 'progress', id: job.id, url: job.displayUrl, path: rel, transferred: received, total });
  if (total !== undefined && received !== total) {
    throw new LengthMismatchError(total, received, init);
  }
  // The seam for checksum verification (hash pool) goes here: between a complete .part and the rename.
  await commitPart(partPath, finalPath);
  return received;
}

/** Bodies up to this size are collected in memory and written with one synchronous writev. */
const SMALL_BODY_BYTES = 256 * 1024;

async function smallBody(
  job: Job,
  ctx: FetchContext,
  res: GetResponse,
  rel: string,
  total: number,
  partPath: string,
  finalPath: string,
  init: { url: string; attempt: number },
): Promise<number> {
  await ctx.dirs.ensure(path.dirname(finalPath));
  ctx.emit({
    type: 'start',
    id: job.id,
    url: job.displayUrl,
    path: rel,
    attempt: init.attempt,
    total,
    offset: 0,
  });
  const chunks: Buffer[] = [];
  let received = 0;
  try {
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      received += chunk.length;
      if (received > total) break;
      chunks.push(chunk);
    }
  } catch (err) {
    // Cut, stalled or interrupted: keep what arrived in `.part`, exactly as the streaming path does.
    if (chunks.length > 0) writePartSync(partPath, chunks);
    throw err;
  }
  if (received !== total) {
    res.body.destroy();
    throw new LengthMismatchError(total, received, init);
  }
  ctx.emit({ type: 'progress', id: job.id, url: job.displayUrl, path: rel, transferred: received, total });
  // The seam for checksum verification goes here too: the whole body is in `chunks`.
  writeWholeSync(partPath, finalPath, chunks);
  return received;
}

function chooseNameFromResponse(job: Job, ctx: FetchContext, res: GetResponse): string {
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
