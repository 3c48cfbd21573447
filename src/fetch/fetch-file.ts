import { ChecksumMismatchError, DlpoolError, HttpStatusError, TooLargeError } from '../errors.js';
import type { FileResult } from '../events.js';
import { existingSize, PartChangedError } from '../file/part-ops.js';
import type { Job } from '../jobs/job.js';
import { checkInside } from '../jobs/naming.js';
import { receive } from '../sinks/receive.js';
import { segmentedBody } from '../sinks/whole-file.js';
import { classifyNetworkError } from '../transport/classify.js';
import {
  type Done,
  type DownloadState,
  emitRetry,
  type FetchContext,
  newDownloadState,
  sayOnce,
  Skipped,
} from '../policy/context.js';
import { checkPresent, expectedFor } from '../policy/digest.js';
import { retryPolicyOf, timeoutOf } from '../policy/entry-settings.js';
import type { GetResponse } from '../policy/http.js';
import { remoteTimeOf } from '../policy/remote-time.js';
import { pause, request, urlOfAttempt, urlShownAs } from '../policy/request.js';
import { contentRange, lengthOf, validatorOf } from '../policy/headers.js';
import { errorInfo } from '../policy/error-info.js';
import { nameFromResponse, nameInTurn } from './served-name.js';
import { mirrorRetryDelay } from '../policy/retry.js';
import {
  asksServer,
  keepEtagOf,
  keepIfSame,
  notModified,
  noteAnswer,
  presentFile,
  Unchanged,
} from '../policy/timestamping.js';
import { spiderFile } from './spider.js';
import { FileChangedError, RangesIgnoredError } from '../sinks/segmented.js';

export type { ConnectionLender, FetchContext } from '../policy/context.js';

/**
 * Downloads one job to `NAME.part`, retrying and resuming, and renames it to `NAME` when complete.
 * Never throws: every outcome is a FileResult.
 */
export async function fetchFile(job: Job, ctx: FetchContext): Promise<FileResult> {
  if (ctx.opts.spider) return spiderFile(job, ctx);
  const state = newDownloadState(job);
  try {
    return await fetchWithRetries(job, ctx, state);
  } finally {
    // The folder this download pinned may be closed now (see DirMaker).
    state.part.release();
  }
}

type Outcome = Partial<FileResult> & Pick<FileResult, 'status' | 'bytes'>;

/** The retry loop: attempts until one succeeds, the file turns out to be there, or the retry policy says stop. */
async function fetchWithRetries(job: Job, ctx: FetchContext, state: DownloadState): Promise<FileResult> {
  const started = performance.now();
  const { opts } = ctx;
  const result = (fields: Outcome): FileResult => ({
    id: job.id,
    url: job.displayUrl,
    source: job.source,
    line: job.line,
    path: state.offered ?? state.rel,
    attempts: state.attempts + state.segmentRetries,
    ms: Math.round(performance.now() - started),
    resumed: state.resumed,
    transferred:
      fields.status === 'skipped' || fields.status === 'unchanged'
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
  const found = await lookBeforeFetching(job, ctx, state);
  if (found) return result(found);

  for (;;) {
    state.attempts++;
    try {
      const done = await attempt(job, ctx, state);
      if (state.offered !== undefined) await nameInTurn(job, ctx, state, done.bytes);
      keepEtagOf(ctx, state);
      const mirror = state.shownUrl !== job.displayUrl ? state.shownUrl : undefined;
      return result({ status: 'downloaded', bytes: done.bytes, digest: done.digest, mirror });
    } catch (caught) {
      if (caught instanceof Skipped)
        return result({ status: 'skipped', bytes: caught.bytes, path: caught.rel, digest: caught.digest });
      if (caught instanceof Unchanged) {
        const { bytes, digest, transferred } = caught;
        return result({ status: 'unchanged', bytes, digest, transferred });
      }
      const err = ctx.signal.aborted
        ? new DlpoolError('ERR_DL_ABORTED', 'interrupted', { url: job.displayUrl, attempt: state.attempts })
        : classifyNetworkError(caught, {
            url: job.displayUrl,
            attempt: state.attempts,
            connectTimeoutMs: opts.connectTimeoutMs,
            timeoutMs: timeoutOf(job, opts),
          });
      const delay = await recover(job, ctx, state, err, caught);
      if (delay === 'stop') {
        // Keep partial data for a later resume; an empty .part is just clutter. (What is refused as unsafe
        // there is not ours: it stays for the user to look at.) A temporary name (see nameFromResponse) is
        // never resumed by a later run: removed.
        const kept = state.part.held();
        if ((kept === 0 || state.offered !== undefined) && err.code !== 'ERR_DL_UNSAFE_NAME')
          await state.part.drop();
        return result({ status: 'failed', bytes: kept, error: errorInfo(err, job, state, opts) });
      }
      // A retry after the file work failed (its slot was lent, see lendForFileWork) waits for a slot again.
      if (state.lent) {
        state.lent = false;
        await ctx.slots!.unpark!(job);
      }
      emitRetry(ctx, job, state.attempts, delay, errorInfo(err, job, state, opts, true));
      if (delay > 0) await pause(delay, job, ctx);
    }
  }
}

/**
 * Before the first request, for a name known from the list: a file already there that is provably the expected
 * one ends the download as skipped (a `.part` an earlier run left is taken over by the first attempt, once it
 * holds the lock). In a folder that was empty when the run started, nothing of this name can be there yet,
 * and nothing is looked at.
 */
async function lookBeforeFetching(
  job: Job,
  ctx: FetchContext,
  state: DownloadState,
): Promise<Outcome | undefined> {
  const known = state.rel;
  if (known === undefined) return undefined;
  const { part } = state;
  try {
    // Before any file operation, so a name outside --dir is never looked at, hashed or resumed there.
    checkInside(ctx.opts.dir, known);
    if (!ctx.dirs.mayExist(known)) return undefined;
    // Its folder, if it exists, pinned (a link there is refused); a missing folder holds nothing.
    const site = (part.site = ctx.dirs.site(known, false));
    if (!site) return undefined;
    const size = ctx.opts.overwrite ? undefined : existingSize(site.final);
    // -N: asked about with the first request instead.
    if (size !== undefined && asksServer(job, ctx)) state.present = presentFile(ctx, known, site.final);
    else if (size !== undefined) {
      // A file already there is kept only if it is provably the expected one (when a checksum is known).
      const present = await checkPresent(job, ctx, site.final);
      if (present !== 'mismatch') {
        part.clearStaleLock();
        return { status: 'skipped', bytes: size, digest: present };
      }
    }
    return undefined;
  } catch (err) {
    return { status: 'failed', bytes: 0, error: errorInfo(err, job, state, ctx.opts) };
  }
}

/**
 * After a failed attempt: the `.part` is kept as the resume point, or dropped when its bytes are wrong or
 * useless; returns the delay before the next attempt, or 'stop'.
 */
async function recover(
  job: Job,
  ctx: FetchContext,
  state: DownloadState,
  err: DlpoolError,
  caught: unknown,
): Promise<number | 'stop'> {
  const { part } = state;
  // --host-rate: a host that says it is overloaded gets a rest, and fewer requests from then on.
  if (ctx.hostGate && err instanceof HttpStatusError && (err.status === 429 || err.status === 503))
    ctx.hostGate.slowDown(urlOfAttempt(job, state.attempts).url.host, err.retryAfterMs);
  if (err instanceof ChecksumMismatchError) {
    // Wrong bytes are never kept, not even as a .part to resume from; they get one fresh download, at once.
    await part.drop();
    state.resumed = false;
    if (state.checksumRetried || ctx.signal.aborted) return 'stop';
    state.checksumRetried = true;
    return 0;
  }
  if (
    // A .part that filled the disk cannot finish; kept, it would starve every other download of space.
    (err.code === 'ERR_DL_FILE' && DISK_FULL.has(err.errno ?? '')) ||
    // Not wanted at all, or another version of the file than its other bytes: nothing to resume.
    err.code === 'ERR_DL_TOO_LARGE' ||
    caught instanceof FileChangedError ||
    // Not the bytes that were counted: nothing of it can be trusted.
    caught instanceof PartChangedError
  )
    await part.drop();
  if (caught instanceof RangesIgnoredError) {
    state.noSplit = true;
    sayOnce(
      ctx,
      `ranges-ignored ${job.host}`,
      `${job.host} answers range requests with the whole file: -x falls back to one connection per file`,
    );
  }
  // Whatever reached the disk is the resume point; a short write at the end is simply re-fetched.
  await part.measure();
  if (ctx.signal.aborted) return 'stop';
  const policy = retryPolicyOf(job, ctx.opts);
  return mirrorRetryDelay(state.attempts, 1 + job.mirrors.length, err, policy, ctx.random);
}

/**
 * Takes the `.part` (its lock: BusyError while another run has it) before anything of it is read or written.
 * After waiting for another run, the file that run finished ends this download as skipped; a `.part` it left,
 * like one of an earlier run, is taken over.
 */
async function own(job: Job, ctx: FetchContext, state: DownloadState): Promise<void> {
  const { part } = state;
  const waited = part.lock();
  // (A temporary name's file is a finished download waiting for its name: never a reason to skip.)
  if (waited && !ctx.opts.overwrite && state.offered === undefined) {
    const size = existingSize(part.site!.final);
    // -N: what that run left is what the server is asked about.
    if (asksServer(job, ctx)) state.present = presentFile(ctx, state.rel!, part.site!.final);
    else {
      const present = size === undefined ? 'mismatch' : await checkPresent(job, ctx, part.site!.final);
      if (size !== undefined && present !== 'mismatch') throw new Skipped(state.rel!, size, present);
    }
  }
  if (waited || ctx.dirs.mayExist(state.rel!)) {
    await part.resumeFromEarlierRun();
    state.fromEarlierRun = part.held();
  }
}

/** One HTTP attempt: the request, what its answer means for the `.part`, the file's place, and its body. */
async function attempt(job: Job, ctx: FetchContext, state: DownloadState): Promise<Done> {
  const { opts } = ctx;
  const { part } = state;
  const limit = opts.maxSizeBytes;
  if (part.site && !part.locked) await own(job, ctx, state);
  if (part.segments && state.rel !== undefined && part.total !== undefined) {
    if (limit !== undefined && part.total > limit) {
      throw new TooLargeError(limit, `the size ${part.total} saved with the .part`, {
        url: job.displayUrl,
        attempt: state.attempts,
      });
    }
    // Continued only from the URL its bytes came from; one this entry no longer lists restarts the file.
    const from = urlShownAs(job, part.source);
    if (from) return segmentedBody(job, ctx, state, undefined, 0, from);
    await part.drop();
  }
  const res = await request(job, ctx, state);
  if (res.statusCode === 304) await notModified(job, ctx, state, res);
  const init = { url: state.shownUrl!, attempt: state.attempts };
  const { offset, total } = await bodyStart(res, ctx, state, init);
  if (limit !== undefined && total !== undefined && total > limit) {
    res.body.destroy();
    throw new TooLargeError(limit, `Content-Length ${total}`, init);
  }
  try {
    await place(job, ctx, state, res);
  } catch (err) {
    // (A skipped or unchanged one was read to its end.)
    if (!(err instanceof Skipped) && !(err instanceof Unchanged)) res.body.destroy();
    throw err;
  }
  return receive(job, ctx, state, res, { offset, total, init });
}

/**
 * What the answer's status means for the `.part`: where its body starts (the resume point for a 206 that
 * continues it, 0 for a 200) and the file's size when known. An answer that does not fit throws, its body
 * dumped; the `.part` is set back so the next attempt starts over.
 */
async function bodyStart(
  res: GetResponse,
  ctx: FetchContext,
  state: DownloadState,
  init: { url: string; attempt: number },
): Promise<{ offset: number; total: number | undefined }> {
  const { part } = state;
  const refuse = async (why: string): Promise<never> => {
    await res.body.dump().catch(() => {});
    throw new DlpoolError('ERR_DL_LENGTH_MISMATCH', why, init);
  };
  if (res.statusCode === 416) {
    // Our offset does not fit the resource (it shrank or changed): start over on the next attempt.
    await part.drop();
    return refuse('range not satisfiable: the file changed; restarting');
  }
  if (res.statusCode === 206 && part.offset > 0) {
    const range = contentRange(res);
    if (!range || range.start !== part.offset || (part.total !== undefined && range.total !== part.total)) {
      part.offset = 0;
      return refuse('Content-Range does not continue the partial file');
    }
    state.resumed = true;
    part.total = range.total ?? part.total;
    part.mtimeMs = remoteTimeOf(res, ctx) ?? part.mtimeMs;
    noteAnswer(ctx, state, res);
    return { offset: part.offset, total: part.total };
  }
  // We did not ask for a range; a 206 here cannot be trusted to be the whole file.
  if (res.statusCode === 206) return refuse('unexpected 206 answer to a full request');
  // 200 (also to a Range request: the server sends the whole file, so we start again from zero).
  state.fromEarlierRun = 0;
  part.source = init.url;
  const total = lengthOf(res);
  const v = validatorOf(res);
  if (part.validator !== undefined && v !== part.validator) part.total = undefined;
  part.validator = v;
  part.mtimeMs = remoteTimeOf(res, ctx);
  if (total !== undefined) part.total = total;
  noteAnswer(ctx, state, res);
  return { offset: 0, total };
}

/**
 * The file's name and folder: named from the answer when the list gave no name (--content-disposition; a file
 * already there under that name may end the download as skipped), checked to be inside --dir, and its folder
 * made if missing and pinned: every file operation of this download goes through it.
 */
async function place(job: Job, ctx: FetchContext, state: DownloadState, res: GetResponse): Promise<void> {
  const { opts } = ctx;
  const { part } = state;
  if (state.rel === undefined) {
    const named = await nameFromResponse(job, ctx, res);
    state.rel = named.rel;
    state.offered = named.offered;
    // Inside --dir before a file already there is looked at.
    checkInside(opts.dir, state.rel);
    // (A download under a temporary name checks for a file already there when it gets its name.)
    if (state.offered === undefined && !opts.overwrite && ctx.dirs.mayExist(state.rel)) {
      part.site ??= ctx.dirs.site(state.rel, false);
      const size = part.site ? existingSize(part.site.final) : undefined;
      const drop = () => res.body.dump().catch(() => {});
      if (size !== undefined && asksServer(job, ctx)) {
        await keepIfSame(job, ctx, state, { rel: state.rel, final: part.site!.final, transferred: 0, drop });
      } else {
        // Kept only if provably the expected file, as for any name (checked by the list's name, not this one).
        const present = size === undefined ? 'mismatch' : await checkPresent(job, ctx, part.site!.final);
        if (size !== undefined && present !== 'mismatch') {
          await drop();
          throw new Skipped(state.rel, size, present);
        }
      }
    }
  }
  checkInside(opts.dir, state.rel); // the lexical check: never outside --dir
  part.site ??= ctx.dirs.site(state.rel, true)!;
}

/** Out of space or quota: the partial file is removed so the space goes to the other downloads. */
const DISK_FULL: ReadonlySet<string> = new Set(['ENOSPC', 'EDQUOT']);
