import { DlpoolError, HttpStatusError } from '../errors.js';
import type { RetryPolicy } from '../options.js';

/** Statuses worth another try (curl --retry's list plus 429); any other 4xx/5xx is final. */
export const RETRY_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

/**
 * Error codes worth another try: the network, timeouts and short bodies, and a `.part` another run is writing
 * (waited for like a busy server). File-system errors are final, but for running out of file descriptors
 * (isOutOfFiles).
 */
const RETRY_CODES: ReadonlySet<string> = new Set([
  'ERR_DL_NETWORK',
  'ERR_DL_TIMEOUT',
  'ERR_DL_LENGTH_MISMATCH',
  'ERR_DL_BUSY',
]);

/**
 * Out of file descriptors (the process's limit, EMFILE, or the system's, ENFILE): an open of the `.part`, a
 * folder or a socket fails now and works once other downloads have closed theirs. Waited out and retried.
 */
const OUT_OF_FILES: ReadonlySet<string> = new Set(['EMFILE', 'ENFILE']);

export function isOutOfFiles(err: unknown): boolean {
  return err instanceof DlpoolError && OUT_OF_FILES.has(err.errno ?? '');
}

export function isRetryable(err: unknown): boolean {
  if (err instanceof HttpStatusError) return RETRY_STATUSES.has(err.status);
  return err instanceof DlpoolError && (RETRY_CODES.has(err.code) || isOutOfFiles(err));
}

/**
 * Delay before the next attempt, or 'stop'. Pure: `random` is passed in so tests can pin the jitter.
 * `attempt` is the 1-based attempt that just failed. Backoff doubles from baseDelayMs, capped at maxDelayMs,
 * with "equal jitter" (half fixed, half random) so a crowd of failed downloads does not retry in lockstep.
 * A server's Retry-After wins over the backoff when it is longer, up to maxRetryAfterMs.
 */
export function retryDelay(
  attempt: number,
  err: unknown,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number | 'stop' {
  if (attempt > policy.retries || !isRetryable(err)) return 'stop';
  const retryAfterMs = err instanceof HttpStatusError ? err.retryAfterMs : undefined;
  if (retryAfterMs !== undefined && retryAfterMs > policy.maxRetryAfterMs) return 'stop';
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  const backoff = Math.round(exp / 2 + random() * (exp / 2));
  return Math.max(backoff, retryAfterMs ?? 0);
}

/** Failures that belong to the server or the way to it: another mirror may do better. */
const SERVER_CODES: ReadonlySet<string> = new Set([
  'ERR_DL_HTTP_STATUS',
  'ERR_DL_NETWORK',
  'ERR_DL_TIMEOUT',
  'ERR_DL_LENGTH_MISMATCH',
  'ERR_DL_DNS',
  'ERR_DL_TLS',
  'ERR_DL_PROTOCOL',
  'ERR_DL_BAD_REDIRECT',
  'ERR_DL_TOO_MANY_REDIRECTS',
  'ERR_DL_INSECURE_REDIRECT',
]);

/**
 * retryDelay for an entry with `urls` URLs (its own and its mirrors, tried in turn). A failure at the server
 * moves to the next URL at once, whatever the status (a 404 from one mirror says nothing about another); after
 * the last URL, the next round starts as retryDelay decides for round N: the same --retries, backoff,
 * Retry-After and retryable errors, counted in rounds. Failures of this side (disk, names, size limit) end it.
 */
export function mirrorRetryDelay(
  attempt: number,
  urls: number,
  err: unknown,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number | 'stop' {
  if (urls <= 1) return retryDelay(attempt, err, policy, random);
  // Nothing to do with the server (out of file descriptors, another run writing the file): no reason to hurry
  // to the next URL; a backoff counted in rounds.
  if (isOutOfFiles(err) || (err instanceof DlpoolError && err.code === 'ERR_DL_BUSY'))
    return retryDelay(Math.ceil(attempt / urls), err, policy, random);
  if (!(err instanceof DlpoolError) || !SERVER_CODES.has(err.code)) return 'stop';
  if (attempt % urls !== 0) return 0;
  return retryDelay(attempt / urls, err, policy, random);
}

/** The asctime form of an HTTP-date, which names no zone: it is GMT (RFC 9110 5.6.7), not this machine's. */
const ASCTIME = /^[A-Za-z]{3} [A-Za-z]{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$/;

/** Retry-After as delay-seconds or an HTTP-date, in ms from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined) return undefined;
  const text = v.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Every HTTP-date form starts with the day's name; Date.parse alone takes '1.5' or '-1' for dates in 2001.
  if (!/^[A-Za-z]{3}/.test(text)) return undefined;
  const date = Date.parse(ASCTIME.test(text) ? `${text} GMT` : text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
