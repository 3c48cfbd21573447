import type { FileResult } from '../events.js';
import type { FetchContext } from '../fetch/fetch-file.js';
import type { JobOrResult } from '../jobs/job.js';

/**
 * A way of running downloads. The async engine runs them all on this event loop; the worker-thread engine
 * (--mode threads) spreads them over worker threads. Both take the same job stream and report each result once.
 */
export interface Engine {
  readonly name: string;
  run(
    jobs: AsyncIterable<JobOrResult>,
    ctx: FetchContext,
    onResult: (result: FileResult) => void,
  ): Promise<void>;
}
