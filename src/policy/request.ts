import { DlpoolError, redactUrl } from '../errors.js';
import type { Job } from '../jobs/job.js';
import { type DownloadState, type FetchContext, sleepOf } from './context.js';
import { expectedFor } from './digest.js';
import { entryHeaders, timeoutOf } from './entry-settings.js';
import { type GetResponse, getFollowingRedirects, speedFloor } from './http.js';
import { conditionOf } from './timestamping.js';

/**
 * The request of this attempt: to the entry's URL or a mirror, from the resume point, in its --host-rate turn.
 * `check` (--spider): a HEAD, or a GET with these extra headers, instead.
 */
export async function request(
  job: Job,
  ctx: FetchContext,
  state: DownloadState,
  check?: { method: 'HEAD' } | { headers: Record<string, string> },
): Promise<GetResponse> {
  const { opts } = ctx;
  const { part } = state;
  const target = urlOfAttempt(job, state.attempts);
  let headers = entryHeaders(job, requestHeaders(opts), target.url);
  if (check && 'headers' in check) headers = { ...headers, ...check.headers };
  if (part.offset > 0) {
    // A validator proves nothing about another server's bytes (two mirrors may send one ETag for different
    // files): the `.part` is continued from another URL only when a checksum will prove the result, and
    // If-Range goes only to the server that gave the validator. Otherwise the file restarts there.
    const same = part.source === target.shown;
    if (same || expectedFor(job, ctx) !== undefined) {
      headers = { ...headers, range: `bytes=${part.offset}-` };
      if (part.validator && same) headers['if-range'] = part.validator;
    } else part.offset = 0;
  }
  // -N: the file already there is sent back only if the server's copy changed (304 otherwise).
  if (state.present) headers = { ...headers, ...conditionOf(state.present, target.shown) };
  if (ctx.signal.aborted) throw new DlpoolError('ERR_DL_ABORTED', 'interrupted');
  state.shownUrl = target.shown;
  // --host-rate: this request's turn at its host (a wait of a second or more lends the -j slot out); booked
  // again when the host answered 429/503 to another request meanwhile.
  const gate = ctx.hostGate;
  const host = target.url.host;
  while (gate !== undefined) {
    const rests = await gate.rests(host);
    const wait = await gate.reserve(host);
    if (wait > 0) {
      await pause(wait, job, ctx);
      if (ctx.signal.aborted) throw new DlpoolError('ERR_DL_ABORTED', 'interrupted');
    }
    if ((await gate.rests(host)) === rests) break;
  }
  return getForJob(job, ctx, target.url, {
    headers,
    signal: ctx.signal,
    attempt: state.attempts,
    displayUrl: target.shown,
    conditional: state.present !== undefined,
    method: check && 'method' in check ? check.method : undefined,
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
  o: {
    headers: Record<string, string>;
    signal: AbortSignal;
    attempt: number;
    displayUrl: string;
    /** The request is conditional (-N): a 304 is an answer, not an error. */
    conditional?: boolean;
    method?: 'HEAD' | undefined;
  },
): Promise<GetResponse> {
  const { opts } = ctx;
  return getFollowingRedirects(url, {
    transport: ctx.transport,
    headers: o.headers,
    maxRedirects: opts.maxRedirects,
    allowInsecureRedirects: opts.allowInsecureRedirects,
    signal: o.signal,
    speed: speedFloor(job, opts),
    limiter: ctx.limiter,
    attempt: o.attempt,
    displayUrl: o.displayUrl,
    close: ctx.keepAlive?.closeAfter(job.hostAgain),
    headersTimeoutMs: timeoutOf(job, opts),
    idleTimeoutMs: job.entry.timeoutMs,
    conditional: o.conditional,
    method: o.method,
    netrc: ctx.netrc,
    cookies: ctx.cookies,
    http2: opts.http2,
    trace: opts.verbose
      ? (lines) => ctx.emit({ type: 'headers', id: job.id, url: job.displayUrl, lines })
      : undefined,
  });
}

/**
 * Where attempt `attempt` (1-based) goes: the entry's URL, then each mirror in turn, round after round. (A split
 * download, -x, takes every range from the URL that gave its first answer.)
 */
export function urlOfAttempt(job: Job, attempt: number): { url: URL; shown: string } {
  const i = (attempt - 1) % (1 + job.mirrors.length);
  if (i === 0) return { url: job.url, shown: job.displayUrl };
  const url = job.mirrors[i - 1]!;
  return { url, shown: redactUrl(url.href) };
}

/** The entry's URL or the mirror shown as `shown` (where a `.part`'s bytes came from), if the job has it. */
export function urlShownAs(job: Job, shown: string): { url: URL; shown: string } | undefined {
  if (shown === job.displayUrl) return { url: job.url, shown };
  const url = job.mirrors.find((m) => redactUrl(m.href) === shown);
  return url && { url, shown };
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
