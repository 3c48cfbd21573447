import type { FileResult } from '../events.js';
import { type FetchContext, fetchFile } from '../fetch/fetch-file.js';
import type { JobOrResult } from '../jobs/job.js';
import type { Engine } from './engine.js';
import { schedule, Slots } from './schedule.js';

/** Every download on this event loop: I/O-bound work needs concurrency, not more cores. */
export class AsyncEngine implements Engine {
  readonly name = 'async';

  run(jobs: AsyncIterable<JobOrResult>, ctx: FetchContext, onResult: (r: FileResult) => void): Promise<void> {
    const slots = new Slots(ctx.opts);
    const withSlots: FetchContext = {
      ...ctx,
      slots: {
        borrow: (job, max) => slots.borrow(job.host, max),
        giveBack: (job, n) => slots.giveBack(job.host, n),
        park: (job) => slots.park(job.host),
        unpark: (job) => slots.unpark(job.host),
      },
    };
    return schedule(jobs, slots, ctx.signal, (job) => fetchFile(job, withSlots), onResult);
  }
}
