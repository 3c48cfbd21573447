import { DlpoolError, HttpStatusError, TooLargeError } from '../errors.js';
import type { CheckInfo, ErrorInfo, FileResult } from '../events.js';
import type { Job } from '../jobs/job.js';
import { checkInside } from '../jobs/naming.js';
import { classifyNetworkError } from '../transport/classify.js';
import { type DownloadState, emitRetry, type FetchContext, newDownloadState } from '../policy/context.js';
import { expectedFor } from '../policy/digest.js';
import { errorInfo } from '../policy/error-info.js';
import type { GetResponse } from '../policy/http.js';
import { pause, request, urlOfAttempt } from '../policy/request.js';
import { contentRange, lengthOf } from '../policy/headers.js';
import { offeredName } from './served-name.js';
import { mirrorRetryDelay } from '../policy/retry.js';

// --spider (--dry-run): each URL asked about, not fetched, with the requests, redirects, credentials rules,
// retries and names of a real run; nothing is opened, made or written under --dir.

/**
 * Answers to a HEAD that a GET may not share: 405 and 501 (HEAD refused), 400, and 403 (signed URLs, as S3's,
 * sign the method: a HEAD is forbidden where the GET is fine). Any of them is asked again as a GET.
 */
const HEAD_REFUSED: ReadonlySet<number> = new Set([400, 403, 405, 501]);

/** Checks `job`'s URL: a `checked` result with what the server said, or the failure a real run would meet. */
export async function spiderFile(job: Job, ctx: FetchContext): Promise<FileResult> {
  const started = performance.now();
  const state = newDownloadState(job, { noSplit: true });
  const result = (fields: Partial<FileResult> & Pick<FileResult, 'status'>): FileResult => ({
    id: job.id,
    url: job.displayUrl,
    source: job.source,
    line: job.line,
    path: state.rel,
    bytes: 0,
    transferred: 0,
    attempts: state.attempts,
    ms: Math.round(performance.now() - started),
    resumed: false,
    ...fields,
  });
  if (ctx.opts.requireChecksum && expectedFor(job, ctx) === undefined) {
    const message = `no checksum for ${job.rel ?? job.displayUrl} (give it in -c FILE or checksum=); --require-checksum refuses it`;
    return result({ status: 'failed', error: { code: 'ERR_DL_NO_CHECKSUM', message } });
  }
  const ask = { head: true };
  for (;;) {
    state.attempts++;
    try {
      const check = await askOnce(job, ctx, state, ask);
      const mirror = state.shownUrl !== job.displayUrl ? state.shownUrl : undefined;
      return result({ status: 'checked', check, mirror });
    } catch (caught) {
      const err = ctx.signal.aborted
        ? new DlpoolError('ERR_DL_ABORTED', 'interrupted', { url: job.displayUrl, attempt: state.attempts })
        : classifyNetworkError(caught, {
            url: state.shownUrl ?? job.displayUrl,
            attempt: state.attempts,
            connectTimeoutMs: ctx.opts.connectTimeoutMs,
            timeoutMs: ctx.opts.timeoutMs,
          });
      // --host-rate: a host that says it is overloaded gets a rest, as in a real run.
      if (ctx.hostGate && err instanceof HttpStatusError && (err.status === 429 || err.status === 503))
        ctx.hostGate.slowDown(urlOfAttempt(job, state.attempts).url.host, err.retryAfterMs);
      const delay = ctx.signal.aborted
        ? 'stop'
        : mirrorRetryDelay(state.attempts, 1 + job.mirrors.length, err, ctx.opts.retry, ctx.random);
      const said = (retrying: boolean) => asked(errorInfo(err, job, state, ctx.opts, retrying), ask.head);
      if (delay === 'stop') return result({ status: 'failed', error: said(false) });
      emitRetry(ctx, job, state.attempts, delay, said(true));
      if (delay > 0) await pause(delay, job, ctx);
    }
  }
}

/** A failure's message names the request that met it: a HEAD where one was made. */
function asked(info: ErrorInfo, head: boolean): ErrorInfo {
  return head
    ? { ...info, message: info.message.replace(/: GET (\S+) \(attempt /, ': HEAD $1 (attempt ') }
    : info;
}

/** One attempt: a HEAD (unless this URL refused one), else a GET of the first byte; the name and the size. */
async function askOnce(
  job: Job,
  ctx: FetchContext,
  state: DownloadState,
  ask: { head: boolean },
): Promise<CheckInfo> {
  let res: GetResponse | undefined;
  if (ask.head) {
    try {
      res = await request(job, ctx, state, { method: 'HEAD' });
    } catch (err) {
      if (!(err instanceof HttpStatusError && HEAD_REFUSED.has(err.status))) throw err;
      ask.head = false;
    }
  }
  res ??= await request(job, ctx, state, { headers: { range: 'bytes=0-0' } });
  // (A one-byte answer, or a server that ignores the range: nothing more of it is read.)
  await res.body.dump().catch(() => {});
  const range = res.statusCode === 206 || res.statusCode === 416 ? contentRange(res) : undefined;
  // 416 to bytes=0-0: an empty file (`bytes */0`); anything else does not say what the server holds.
  if (res.statusCode === 416 && range?.total !== 0) {
    throw new HttpStatusError(416, 'Range Not Satisfiable', { url: state.shownUrl, attempt: state.attempts });
  }
  const size = res.statusCode === 206 || res.statusCode === 416 ? range?.total : lengthOf(res);
  const limit = ctx.opts.maxSizeBytes;
  const init = { url: state.shownUrl, attempt: state.attempts };
  if (limit !== undefined && size !== undefined && size > limit) {
    throw new TooLargeError(limit, `the size ${size} the server announced`, init);
  }
  if (state.rel === undefined) {
    // --content-disposition: the name the answer offers, claimed in list order as a real run claims it.
    const offered = offeredName(job, res);
    const parks = ctx.slots?.park !== undefined && ctx.slots.unpark !== undefined;
    if (parks) ctx.slots!.park!(job);
    try {
      state.rel = (await ctx.names.claimOffered(job.id, offered, true))!;
    } finally {
      if (parks) await ctx.slots!.unpark!(job);
    }
  }
  checkInside(ctx.opts.dir, state.rel);
  return { status: res.statusCode, size, method: ask.head ? 'HEAD' : 'GET' };
}
