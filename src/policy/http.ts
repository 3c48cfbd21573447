import type { Job } from '../jobs/job.js';
import type { NormalizedOptions } from '../options.js';
import { DlpoolError, HttpStatusError, redactUrl } from '../errors.js';
import type { Transport } from '../transport/transport.js';
import type { ResponseBody } from '../transport/response-body.js';
import type { SpeedFloor } from '../transport/speed-floor.js';
import type { RateLimiter } from '../transport/rate.js';
import { parseRetryAfter } from './retry.js';
import { authorizationFor } from '../credentials/authorization.js';
import type { NetrcEntry } from '../credentials/netrc.js';
import type { CookieAccess } from '../credentials/cookie-access.js';
import { requestLines, responseLines } from '../transport/trace.js';

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Headers that carry credentials: never forwarded to another origin (curl does the same since 7.58). */
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

export interface GetOptions {
  transport: Transport;
  headers: Record<string, string>;
  maxRedirects: number;
  /** Follow https: -> http: redirects; off, they throw ERR_DL_INSECURE_REDIRECT. */
  allowInsecureRedirects: boolean;
  signal: AbortSignal;
  /** The body's speed floor (--speed-limit, --speed-time, lowest-speed-limit=). */
  speed?: SpeedFloor | undefined;
  /** --limit-rate: the run's shared bucket. */
  limiter?: RateLimiter | undefined;
  /** For error messages: the attempt number. */
  attempt: number;
  displayUrl: string;
  /** Ask for the connection to be closed after the response (see KeepAlive). */
  close?: boolean | undefined;
  /** Each request's time to its final headers, 1xx answers included (--timeout). */
  headersTimeoutMs?: number | undefined;
  /** An idle timeout other than the transport's, for headers and body (an entry's timeout=). */
  idleTimeoutMs?: number | undefined;
  /** A conditional request (-N): its 304 is returned like a 2xx, for the caller to keep the file. */
  conditional?: boolean | undefined;
  /** HEAD (--spider) keeps its method across redirects, as curl -I does. @default 'GET' */
  method?: 'GET' | 'HEAD' | undefined;
  /** --netrc: credentials for the start URL's host (not for a redirect's target). */
  netrc?: readonly NetrcEntry[] | undefined;
  /** --cookie, --cookie-jar: each hop's cookies, and where its Set-Cookie goes. */
  cookies?: CookieAccess | undefined;
  /** --http2: offered on https: connections (the version a --verbose request line can name). */
  http2?: boolean | undefined;
  /** --verbose: takes each hop's request lines, then its response lines (see trace.ts). */
  trace?: ((lines: string[]) => void) | undefined;
}

export interface GetResponse {
  statusCode: number;
  statusText: string;
  headers: Record<string, string | string[] | undefined>;
  body: ResponseBody;
  /** The URL that answered, after redirects. */
  finalUrl: URL;
}

/**
 * GET with redirects followed by hand, so the limit, the credential rules and the error messages are ours.
 * Returns the first non-redirect answer with a 2xx status (or 416, or 304 to a conditional request, which the
 * caller handles);
 * other statuses throw HttpStatusError after the body is discarded.
 */
export async function getFollowingRedirects(start: URL, opts: GetOptions): Promise<GetResponse> {
  let url = start;
  // Copied only when changed (credentials added or dropped): most requests send the run's headers as they are.
  let headers = opts.headers;
  const auth = authorizationFor(start, opts.netrc);
  if (auth && headers['authorization'] === undefined) headers = { ...headers, authorization: auth };
  for (let hop = 0; ; hop++) {
    // Credentials go in the Authorization header (above), never in the request line; origin and path hold none.
    const sent = opts.cookies ? withCookies(headers, await opts.cookies.header(url.href)) : headers;
    if (opts.trace) {
      // Offered HTTP/2 (https: with --http2), the version is known only from the answer.
      const version = opts.http2 === true && url.protocol === 'https:' ? undefined : '1.1';
      opts.trace(requestLines(url, sent, opts.close === true, opts.method ?? 'GET', version));
    }
    const res = await opts.transport.request({
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      headers: sent,
      signal: opts.signal,
      speed: opts.speed,
      limiter: opts.limiter,
      close: opts.close,
      headersTimeoutMs: opts.headersTimeoutMs,
      idleTimeoutMs: opts.idleTimeoutMs,
      method: opts.method,
    });
    opts.trace?.(responseLines(res.statusCode, res.statusText, res.headers, res.protocol));
    // Kept before a redirect is followed: the next hop may be where the cookie is for.
    const setCookie = res.headers['set-cookie'];
    if (opts.cookies && setCookie !== undefined) {
      opts.cookies.store(url.href, Array.isArray(setCookie) ? setCookie : [setCookie]);
    }
    const init = { url: opts.displayUrl, attempt: opts.attempt };
    if (REDIRECTS.has(res.statusCode)) {
      await res.body.dump().catch(() => {});
      const location = res.headers['location'];
      const loc = Array.isArray(location) ? location[0] : location;
      if (!loc) throw new DlpoolError('ERR_DL_BAD_REDIRECT', `${res.statusCode} without Location`, init);
      if (hop >= opts.maxRedirects) {
        throw new DlpoolError('ERR_DL_TOO_MANY_REDIRECTS', `more than ${opts.maxRedirects} redirects`, init);
      }
      let next: URL;
      try {
        next = new URL(loc, url);
      } catch {
        throw new DlpoolError('ERR_DL_BAD_REDIRECT', `redirect to an invalid URL`, init);
      }
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        throw new DlpoolError(
          'ERR_DL_BAD_REDIRECT',
          `redirect to unsupported scheme '${next.protocol}'`,
          init,
        );
      }
      // Refused before any byte goes to the http: URL: the request would carry the headers (and the file
      // would arrive) in clear text, though the user asked for https:.
      if (url.protocol === 'https:' && next.protocol === 'http:' && !opts.allowInsecureRedirects) {
        throw new DlpoolError(
          'ERR_DL_INSECURE_REDIRECT',
          `refused redirect from https: to ${redactUrl(next.href)} (--allow-insecure-redirects follows it)`,
          init,
        );
      }
      if (next.origin !== url.origin) {
        headers = { ...headers };
        for (const h of CREDENTIAL_HEADERS) delete headers[h];
        // A -H Host: names the first origin: sent on, it would ask the next server for a site it may not serve.
        delete headers['host'];
      }
      url = next;
      continue;
    }
    const status = res.statusCode;
    if ((status >= 200 && status < 300) || status === 416 || (status === 304 && opts.conditional === true)) {
      // A body destroyed before anyone reads it emits 'error' (destroy() aborts the request);
      // with no listener that would crash the process. Readers see failures through their own listeners
      // and body.errored.
      res.body.on('error', () => {});
      const answer = res as GetResponse;
      answer.finalUrl = url;
      return answer;
    }
    await res.body.dump().catch(() => {});
    const retryAfterMs = parseRetryAfter(res.headers['retry-after']);
    throw new HttpStatusError(res.statusCode, statusText(res.statusCode), { ...init, retryAfterMs });
  }
}

/** The hop's headers with the jar's cookies after any of -H's (one Cookie header, as a browser sends). */
function withCookies(headers: Record<string, string>, cookies: string): Record<string, string> {
  if (cookies === '') return headers;
  const own = headers['cookie'];
  return { ...headers, cookie: own ? `${own}; ${cookies}` : cookies };
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  410: 'Gone',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export function statusText(status: number): string {
  return STATUS_TEXT[status] ?? '';
}

/** A job's speed floor: its list's `lowest-speed-limit=`, else --speed-limit; over --speed-time. */
const runFloors = new WeakMap<NormalizedOptions, SpeedFloor>();

export function speedFloor(job: Job, opts: NormalizedOptions): SpeedFloor {
  // One object per run for the entries that do not set their own, not one per attempt.
  if (job.entry.lowestSpeedLimit === undefined) {
    let f = runFloors.get(opts);
    if (f === undefined) runFloors.set(opts, (f = floorOf(opts.speedLimitBytes, opts)));
    return f;
  }
  return floorOf(job.entry.lowestSpeedLimit, opts);
}

function floorOf(floor: number, opts: NormalizedOptions): SpeedFloor {
  // A --limit-rate whose share per download is below the floor would make dlpool abandon its own downloads
  // as too slow: the floor is off then.
  const share = opts.limitRateBytes === undefined ? Infinity : opts.limitRateBytes / opts.concurrency;
  return { minBytesPerSec: share < floor ? 0 : floor, windowMs: opts.speedTimeMs };
}
