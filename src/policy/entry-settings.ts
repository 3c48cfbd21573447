import type { Job } from '../jobs/job.js';
import type { NormalizedOptions, RetryPolicy } from '../options.js';

/**
 * A list entry's own settings over the run's (aria2's `header=`, `referer=`, `user-agent=`, `http-user=`,
 * `http-passwd=`, `max-tries=`, `timeout=`, read by sources/entry-request.ts): they shape that entry's requests
 * only. An entry without any costs nothing: the run's objects are returned as they are.
 */

/**
 * The headers of a request of `job` to `target` (its URL or a mirror): `run` (the run's, requestHeaders), then
 * the entry's, which replace a run header of the same name. The entry's credentials go to its own URL's origin only (scheme, host
 * and port: a mirror elsewhere, or the same host over http:, gets none), and not when `target` carries
 * credentials of its own, which win as in aria2. A redirect to another origin drops them (getFollowingRedirects).
 */
export function entryHeaders(job: Job, run: Record<string, string>, target: URL): Record<string, string> {
  const { headers, httpUser, httpPassword } = job.entry;
  const auth =
    (httpUser !== undefined || httpPassword !== undefined) &&
    target.origin === job.url.origin &&
    target.username === '' &&
    target.password === '';
  if (headers === undefined && !auth) return run;
  const out = { ...run, ...headers };
  // An entry's own header=Authorization: is what it asked for, over its http-user=.
  if (auth && headers?.['authorization'] === undefined) {
    const pair = `${httpUser ?? ''}:${httpPassword ?? ''}`;
    out['authorization'] = `Basic ${Buffer.from(pair).toString('base64')}`;
  }
  return out;
}

/** The retry policy of `job`: the run's, with the entry's `max-tries=` as its retries. */
export function retryPolicyOf(job: Job, opts: NormalizedOptions): RetryPolicy {
  const { retries } = job.entry;
  return retries === undefined ? opts.retry : { ...opts.retry, retries };
}

/** The idle time after which an attempt of `job` is abandoned: its `timeout=`, else --timeout. */
export function timeoutOf(job: Job, opts: NormalizedOptions): number {
  return job.entry.timeoutMs ?? opts.timeoutMs;
}
