import { DlpoolError } from '../errors.js';
import type { ErrorInfo } from '../events.js';
import type { Job } from '../jobs/job.js';
import type { NormalizedOptions } from '../options.js';
import { classifyNetworkError } from '../transport/classify.js';
import { retryPolicyOf, timeoutOf } from './entry-settings.js';
import { isRetryable } from './retry.js';
import type { DownloadState } from './context.js';

/**
 * A download's failure as its result (or, `retrying`, its retry event) reports it: the code, and a message that
 * says what and where.
 */
export function errorInfo(
  err: unknown,
  job: Job,
  state: DownloadState,
  opts: NormalizedOptions,
  retrying = false,
): ErrorInfo {
  const e =
    err instanceof DlpoolError
      ? err
      : classifyNetworkError(err, {
          url: job.displayUrl,
          attempt: state.attempts,
          connectTimeoutMs: opts.connectTimeoutMs,
          timeoutMs: timeoutOf(job, opts),
        });
  const status = 'status' in e && typeof e.status === 'number' ? e.status : undefined;
  // An error that is never retried says so, rather than `1/6` (a count of retries that will not come).
  // (A wrong checksum gets one fresh download: counted as N/M.)
  // (With mirrors, an answer that is final for one URL still moves on to the next until the round is done.)
  const urls = 1 + job.mirrors.length;
  const final = !isRetryable(e) && e.code !== 'ERR_DL_CHECKSUM' && state.attempts % urls === 0;
  const attempts = final
    ? `${state.attempts}, not retried`
    : `${state.attempts}/${maxAttempts(e, state, retryPolicyOf(job, opts).retries, urls, retrying)}`;
  const shown = state.shownUrl ?? job.displayUrl;
  // A file error is not the request's: the URL is named so the line says which download it stopped.
  const where = e.code === 'ERR_DL_FILE' ? ` (GET ${shown})` : `: GET ${shown} (attempt ${attempts})`;
  return { code: e.code, message: `${e.message}${where}`, errno: e.errno, status };
}

/**
 * Attempts this download may make: --retries (or the entry's max-tries=) + 1 per URL (its own and each mirror's). A wrong checksum gets
 * one fresh download and no more: the attempt after it is the last (`1/2` on the retry, `2/2` when it fails).
 */
function maxAttempts(
  e: DlpoolError,
  state: DownloadState,
  retries: number,
  urls: number,
  retrying: boolean,
): number | 'unlimited' {
  if (e.code === 'ERR_DL_CHECKSUM') return state.attempts + (retrying ? 1 : 0);
  // An entry's max-tries=0 (aria2's "no limit").
  if (retries === Infinity) return 'unlimited';
  return Math.max((retries + 1) * urls + (state.checksumRetried ? 1 : 0), state.attempts);
}
