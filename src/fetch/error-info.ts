import { DlpoolError } from '../errors.js';
import type { ErrorInfo } from '../events.js';
import type { Job } from '../jobs/job.js';
import type { NormalizedOptions } from '../options.js';
import { classifyNetworkError } from './classify.js';
import { isRetryable } from './retry.js';
import type { Progress } from './context.js';

/** A download's failure as its result reports it: the code, and a message that says what and where. */
export function errorInfo(err: unknown, job: Job, state: Progress, opts: NormalizedOptions): ErrorInfo {
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
  // An error that is never retried says so, rather than `1/6` (a count of retries that will not come).
  // (A wrong checksum gets one fresh download: counted as N/M.)
  const final = !isRetryable(e) && e.code !== 'ERR_DL_CHECKSUM';
  const attempts = final ? `${state.attempts}, not retried` : `${state.attempts}/${maxAttempts(state, opts)}`;
  const where = e.code === 'ERR_DL_FILE' ? '' : `: GET ${job.displayUrl} (attempt ${attempts})`;
  return { code: e.code, message: `${e.message}${where}`, errno: e.errno, status };
}

/** Attempts this download may make: --retries + 1, and one more after a wrong checksum (never `2/1`). */
function maxAttempts(state: Progress, opts: NormalizedOptions): number {
  return Math.max(opts.retry.retries + 1 + (state.checksumRetried ? 1 : 0), state.attempts);
}
