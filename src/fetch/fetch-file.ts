import { ChecksumMismatchError, DlpoolError, HttpStatusError, redactUrl, TooLargeError } from '../errors.js';
import type { FileResult } from '../events.js';
import { existingSize, partSize } from '../file/part.js';
import type { Job } from '../jobs/job.js';
import { checkInside } from '../jobs/naming.js';
import { segmentedBody, SMALL_BODY_BYTES, smallBody, streamBody } from './bodies.js';
import { classifyNetworkError } from './classify.js';
import { type Done, type FetchContext, type Progress, sayOnce, Skipped, sleepOf } from './context.js';
import { algorithmFor, checkPresent, expectedFor } from './digest.js';
import { getFollowingRedirects, speedFloor } from './http.js';
import { dropPart, resumeFromEarlierRun } from './part-state.js';
import { acceptsRanges, contentRange, lengthOf, validatorOf } from './response.js';
import { errorInfo } from './error-info.js';
import { nameFromResponse, nameInTurn } from './response-name.js';
import { mirrorRetryDelay } from './retry.js';
import { FileChangedError, RangesIgnoredError, segmentBytes } from './segmented.js';

export type { ConnectionLender, FetchContext } from './context.js';

/**
 * Downloads one job to `NAME.part`, retrying and resuming, and renames it to `NAME` when complete.
 * Never throws: every outcome is a FileResult.
 */
export async function fetchFile(job: Job, ctx: FetchContext): Promise<FileResult> {
  const state = newProgress(job);
  try {
    return await fetchWithRetries(job, ctx, state);
  } finally {
    // The folder this download pinned may be closed now (see DirMaker).
    state.site?.release();
  }
}

function newProgress(job: Job): Progress {
  return {
    rel: job.rel,
    shownUrl: undefined,
    offered: undefined,
    offset: 0,
    total: undefined,
    validator: undefined,
    attempts: 0,
    resumed: false,
    fromEarlierRun: 0,
    checksumRetried: false,
    meta: false,
    segments: undefined,
    segmentRetries: 0,
    noSplit: false,
    site: undefined,
  };
}

async function fetchWithRetries(job: Job, ctx: FetchContext, state: Progress): Promise<FileResult> {
  const started = performance.now();
  const { opts } = ctx;
  const result = (fields: Partial<FileResult> & Pick<FileResult, 'status' | 'bytes'>): FileResult => ({
    id: job.id,
    url: job.displayUrl,
    source: job.source,
    line: job.line,
    path: state.offered ?? state.rel,
    attempts: state.attempts + state.segmentRetries,
    ms: Math.round(performance.now() - started),
    resumed: state.resumed,
    transferred:
      fields.status === 'skipped'
        ? 0
        : Math.max(0, fields.bytes - Math.min(state.fromEarlierRun, fields.bytes)),
    ...fields,
  });

  // Nothing is fetched that could not be verified, when that is what was asked.
  if (opts.requireChecksum && expectedFor(job, ctx) === undefined) {
    const name = job.rel ?? job.displayUrl;
    const message = `no checksum for ${name} (give it in -c FILE or checksum=); --require-checksum refuses it`;
    return result({ status: 'failed', bytes: 0, error: { code: 'ERR_DL_NO_CHECKSUM', message } });
  }
  const known = state.rel;
  // In a folder that was empty when the run started, nothing of this name can be there yet.
  if (known !== undefined && ctx.dirs.mayExist(known)) {
    try {
      // Its folder, if it exists, pinned (a link there is refused); a missing folder holds nothing.
      const site = (state.site = ctx.dirs.site(known, false));
      const size = site && !opts.overwrite ? existingSize(site.final) : undefined;
      if (site && size !== undefined) {
        // A file already there is kept only if it is provably the expected one (when a checksum is known).
        const present = await checkPresent(job, ctx, site.final);
        if (present !== 'mismatch') return result({ status: 'skipped', bytes: size, digest: present });
      }
      // A symbolic link or special file at NAME.part.meta is refused, like one at NAME.part.
      if (site) await resumeFromEarlierRun(job, state, site.part);
      state.fromEarlierRun = state.segments ? segmentBytes(state.segments) : state.offset;
    } catch (err) {
      return result({ status: 'failed', bytes: 0, error: errorInfo(err, job, state, opts) });
    }
  }

  for (;;) {
    state.attempts++;
    try {
      const done = await attempt(job, ctx, state);
      if (state.offered !== undefined) await nameInTurn(job, ctx, state);
      const mirror = state.shownUrl !== job.displayUrl ? state.shownUrl : undefined;
      return result({ status: 'downloaded', bytes: done.bytes, digest: done.digest, mirror });
    } catch (caught) {
      if (caught instanceof Skipped)
        return result({ status: 'skipped', bytes: caught.bytes, path: caught.rel, digest: caught.digest });
      const err = ctx.signal.aborted
        ? new DlpoolError('ERR_DL_ABORTED', 'interrupted', { url: job.displayUrl, attempt: state.attempts })
        : classifyNetworkError(caught, {
            url: job.displayUrl,
            attempt: state.attempts,
            connectTimeoutMs: opts.connectTimeoutMs,
            timeoutMs: opts.timeoutMs,
          });
      // --host-rate: a host that says it is overloaded gets a rest, and fewer requests from then on.
      if (ctx.hostGate && err instanceof HttpStatusError && (err.status === 429 || err.status === 503))
        ctx.hostGate.slowDown(urlOfAttempt(job, state.attempts).url.host, err.retryAfterMs);
      const partPath = state.site?.part;
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
      if (caught instanceof RangesIgnoredError) {
        state.noSplit = true;
        sayOnce(
          ctx,
          `ranges-ignored ${job.host}`,
          `${job.host} answers range requests with the whole file: -x falls back to one connection per file`,
        );
      }
      // Whatever reached the disk is the resume point; a short write at the end is simply re-fetched.
      // (A segmented .part is sized in advance: its segments say what it holds.)
      if (partPath && !state.segments) state.offset = await partSize(partPath);
      const urls = 1 + job.mirrors.length;
      const delay = ctx.signal.aborted
        ? 'stop'
        : mirrorRetryDelay(state.attempts, urls, err, opts.retry, ctx.random);
      if (delay === 'stop') {
        // Keep partial data for a later resume; an empty .part is just clutter.
        const kept = state.segments ? segmentBytes(state.segments) : state.offset;
        // (What is refused as unsafe there is not ours: it stays for the user to look at.) A temporary name
        // (see nameFromResponse) is never resumed by a later run: removed.
        if (partPath && (kept === 0 || state.offered !== undefined) && err.code !== 'ERR_DL_UNSAFE_NAME')
          await dropPart(state, partPath);
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
      await pause(delay, job, ctx);
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
  let headers = requestHeaders(opts);
  if (state.offset > 0) {
    headers = { ...headers, range: `bytes=${state.offset}-` };
    if (state.validator) headers['if-range'] = state.validator;
  }
  if (ctx.signal.aborted) throw new DlpoolError('ERR_DL_ABORTED', 'interrupted');
  const target = urlOfAttempt(job, state.attempts);
  state.shownUrl = target.shown;
  // --host-rate: this request's turn at its host (a wait of a second or more lends the -j slot out).
  const wait = ctx.hostGate?.reserve(target.url.host) ?? 0;
  if (wait > 0) {
    await pause(wait, job, ctx);
    if (ctx.signal.aborted) throw new DlpoolError('ERR_DL_ABORTED', 'interrupted');
  }
  const res = await getFollowingRedirects(target.url, {
    dispatcher: ctx.dispatcher,
    headers,
    maxRedirects: opts.maxRedirects,
    allowInsecureRedirects: opts.allowInsecureRedirects,
    signal: ctx.signal,
    speed: speedFloor(job, opts),
    limiter: ctx.limiter,
    attempt: state.attempts,
    displayUrl: target.shown,
    close: ctx.keepAlive?.closeAfter(job.hostAgain),
  });
  const init = { url: target.shown, attempt: state.attempts };

  let offset = 0;
  let total: number | undefined;
  if (res.statusCode === 416) {
    await res.body.dump().catch(() => {});
    // Our offset does not fit the resource (it shrank or changed): start over on the next attempt.
    state.offset = 0;
    if (state.site) await dropPart(state, state.site.part);
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
    state.fromEarlierRun = 0;
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
      const named = await nameFromResponse(job, ctx, res);
      state.rel = named.rel;
      state.offered = named.offered;
    } catch (err) {
      res.body.destroy();
      throw err;
    }
    // (A download under a temporary name checks for a file already there when it gets its name.)
    if (state.offered === undefined && !opts.overwrite && ctx.dirs.mayExist(state.rel)) {
      let size: number | undefined;
      // Kept only if provably the expected file, as for any name (checked by the list's name, not this one).
      let present: Awaited<ReturnType<typeof checkPresent>> = 'mismatch';
      try {
        state.site ??= ctx.dirs.site(state.rel, false);
        size = state.site ? existingSize(state.site.final) : undefined;
        if (size !== undefined) present = await checkPresent(job, ctx, state.site!.final);
      } catch (err) {
        res.body.destroy();
        throw err;
      }
      if (size !== undefined && present !== 'mismatch') {
        await res.body.dump().catch(() => {});
        throw new Skipped(state.rel, size, present);
      }
    }
  }
  let finalPath: string;
  let partPath: string;
  try {
    checkInside(opts.dir, state.rel); // the lexical check: never outside --dir
    // The folder, made if missing and pinned: every file operation of this download goes through it.
    state.site ??= ctx.dirs.site(state.rel, true)!;
    finalPath = state.site.final;
    partPath = state.site.part;
  } catch (err) {
    res.body.destroy();
    throw err;
  }
  if (
    offset === 0 &&
    total !== undefined &&
    opts.split > 1 &&
    !state.noSplit &&
    total > opts.minSplitSizeBytes
  ) {
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
  const rel = state.offered ?? state.rel!;
  const algorithm = algorithmFor(job, ctx);
  // A tap sees every byte only when the body starts at zero; a resumed file is hashed whole later.
  const tap = algorithm !== undefined && offset === 0 ? ctx.hasher.tap(algorithm) : undefined;
  try {
    return await streamBody(job, ctx, state, res, {
      offset,
      total,
      limit,
      rel,
      tap,
      partPath,
      finalPath,
      init,
    });
  } catch (err) {
    tap?.release();
    throw err;
  }
}

/**
 * Where attempt `attempt` (1-based) goes: the entry's URL, then each mirror in turn, round after round. (A split
 * download, -x, takes its ranges from the entry's URL.)
 */
export function urlOfAttempt(job: Job, attempt: number): { url: URL; shown: string } {
  const i = (attempt - 1) % (1 + job.mirrors.length);
  if (i === 0) return { url: job.url, shown: job.displayUrl };
  const url = job.mirrors[i - 1]!;
  return { url, shown: redactUrl(url.href) };
}

/** Waits `ms` or until the run is interrupted; a long wait (Retry-After can ask for minutes) lends the -j slot out. */
async function pause(ms: number, job: Job, ctx: FetchContext): Promise<void> {
  const park = ms >= PARK_AFTER_MS && ctx.slots?.park !== undefined && ctx.slots.unpark !== undefined;
  if (park) ctx.slots!.park!(job);
  try {
    await sleepOf(ctx)(ms, ctx.signal);
  } catch {
    // Interrupted while waiting: the caller sees the aborted signal.
  } finally {
    if (park) await ctx.slots!.unpark!(job);
  }
}

const runHeaders = new WeakMap<FetchContext['opts'], Record<string, string>>();

/** The headers every request of the run sends (User-Agent, -H): one object per run, never changed. */
function requestHeaders(opts: FetchContext['opts']): Record<string, string> {
  let h = runHeaders.get(opts);
  if (h === undefined) runHeaders.set(opts, (h = { 'user-agent': opts.userAgent, ...opts.headers }));
  return h;
}

/** Waits shorter than this keep their slot: handing it over costs more than it gains. */
const PARK_AFTER_MS = 1000;

/** Out of space or quota: the partial file is removed so the space goes to the other downloads. */
const DISK_FULL: ReadonlySet<string> = new Set(['ENOSPC', 'EDQUOT']);
