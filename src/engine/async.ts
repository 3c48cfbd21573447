import type { FileResult } from '../events.js';
import { type FetchContext, fetchFile } from '../fetch/fetch-file.js';
import type { JobOrResult } from '../jobs/job.js';
import type { Engine } from './engine.js';
import { schedule } from './schedule.js';

/** Every download on this event loop: I/O-bound work needs concurrency, not more cores. */
export class AsyncEngine implements Engine {
  readonly name = 'async';

  run(jobs: AsyncIterable<JobOrResult>, ctx: FetchContext, onResult: (r: FileResult) => void): Promise<void> {
    return schedule(jobs, ctx.opts, ctx.signal, (job) => fetchFile(job, ctx), onResult);
  }
}
