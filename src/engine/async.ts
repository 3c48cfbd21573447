import type { FileResult } from '../events.js';
import { type FetchContext, fetchFile } from '../fetch/fetch-file.js';
import type { Job, JobOrResult } from '../jobs/job.js';
import type { Engine } from './engine.js';
import { schedule, Slots } from './schedule.js';

/** Every download on this event loop: I/O-bound work needs concurrency, not more cores. */
export class AsyncEngine implements Engine {
  readonly name = 'async';

  run(jobs: AsyncIterable<JobOrResult>, ctx: FetchContext, onResult: (r: FileResult) => void): Promise<void> {
    const slots = new Slots(ctx.opts);
    /** Jobs whose slot is lent out: one that ends so takes it back (see ConnectionLender.park). */
    const parked = new Set<number>();
    const park = (job: Job) => {
      parked.add(job.id);
      slots.park(job.host);
    };
    const withSlots: FetchContext = {
      ...ctx,
      slots: {
        borrow: (job, max) => slots.borrow(job.host, max),
        giveBack: (job, n) => slots.giveBack(job.host, n),
        park,
        // Lending for file work parks the slot as a sleeping retry does; here that costs no message.
        lend: park,
        unpark: async (job) => {
          await slots.unpark(job.host);
          parked.delete(job.id);
        },
      },
    };
    const run = async (job: Job) => {
      try {
        return await fetchFile(job, withSlots);
      } finally {
        if (parked.delete(job.id)) slots.takeBack(job.host);
      }
    };
    return schedule(jobs, slots, ctx.signal, run, onResult);
  }
}
