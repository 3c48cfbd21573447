import { DlpoolError, redactUrl } from '../errors.js';
import type { Job } from '../jobs/job.js';
import { type DownloadState, type FetchContext, sleepOf } from './context.js';
import { type GetResponse, getFollowingRedirects, speedFloor } from './http.js';

/** The request of this attempt: to the entry's URL or a mirror, from the resume point, in its --host-rate turn. */
export async function request(job: Job, ctx: FetchContext, state: DownloadState): Promise<GetResponse> {
  const { opts } = ctx;
  const { part } = state;
  let headers = requestHeaders(opts);
  if (part.offset > 0) {
    headers = { ...headers, range: `bytes=${part.offset}-` };
    if (part.validator) headers['if-range'] = part.validator;
  }
  if (ctx.signal.aborted) throw new DlpoolError('ERR_DL_ABORTED', 'interrupted');
  const target = urlOfAttempt(job, state.attempts);
  state.shownUrl = target.shown;
  // --host-rate: this request's turn at its host (a wait of a second or more lends the -j slot out); booked
  // again when the host answered 429/503 to another request meanwhile.
  const gate = ctx.hostGate;
  const host = target.url.host;
  while (gate !== undefined) {
    const rests = gate.rests(host);
    const wait = gate.reserve(host);
    if (wait > 0) {
      await pause(wait, job, ctx);
      if (ctx.signal.aborted) throw new DlpoolError('ERR_DL_ABORTED', 'interrupted');
    }
    if (gate.rests(host) === rests) break;
  }
  return getForJob(job, ctx, target.url, {
    headers,
    signal: ctx.signal,
    attempt: state.attempts,
    displayUrl: target.shown,
  });
}

/**
 * A GET for `job` with the run's settings (redirects, speed floor, --limit-rate, keep-alive), following
 * redirects: a whole file's attempt, or one range of a segmented download.
 */
export function getForJob(
  job: Job,
  ctx: FetchContext,
  url: URL,
  o: { headers: Record<string, string>; signal: AbortSignal; attempt: number; displayUrl: string },
): Promise<GetResponse> {
  const { opts } = ctx;
  return getFollowingRedirects(url, {
    dispatcher: ctx.dispatcher,
    headers: o.headers,
    maxRedirects: opts.maxRedirects,
    allowInsecureRedirects: opts.allowInsecureRedirects,
    signal: o.signal,
    speed: speedFloor(job, opts),
    limiter: ctx.limiter,
    attempt: o.attempt,
    displayUrl: o.displayUrl,
    close: ctx.keepAlive?.closeAfter(job.hostAgain),
    headersTimeoutMs: opts.timeoutMs,
  });
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
export async function pause(ms: number, job: Job, ctx: FetchContext): Promise<void> {
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
export function requestHeaders(opts: FetchContext['opts']): Record<string, string> {
  let h = runHeaders.get(opts);
  if (h === undefined) runHeaders.set(opts, (h = { 'user-agent': opts.userAgent, ...opts.headers }));
  return h;
}

/** Waits shorter than this keep their slot: handing it over costs more than it gains. */
const PARK_AFTER_MS = 1000;
