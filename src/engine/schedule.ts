import pLimit, { type LimitFunction } from 'p-limit';
import type { FileResult } from '../events.js';
import type { Job, JobOrResult } from '../jobs/job.js';

export interface Limits {
  /** Downloads at once, in total. */
  concurrency: number;
  /** Downloads at once per host:port (at most `concurrency`). */
  perHost: number;
}

/**
 * The -j and --per-host limiters of one run. A download that already holds a slot and wants more connections
 * (a segmented download, -x) borrows free slots; they count against the limits exactly like downloads, so -j
 * bounds connections across all files, and are given back as its segments finish.
 */
export class Slots {
  readonly global: LimitFunction;
  private readonly hosts = new Map<string, LimitFunction>();

  constructor(private readonly limits: Limits) {
    this.global = pLimit(limits.concurrency);
  }

  /** The host's own limiter, or the global one when --per-host does not limit below -j. */
  host(host: string): LimitFunction {
    if (this.limits.perHost >= this.limits.concurrency) return this.global;
    let h = this.hosts.get(host);
    if (!h) {
      h = pLimit(this.limits.perHost);
      this.hosts.set(host, h);
    }
    return h;
  }

  /** A host with nothing running or queued is forgotten: a list of a million hosts keeps no map of them. */
  forgetIfIdle(host: string): void {
    const h = this.hosts.get(host);
    if (h && h.activeCount === 0 && h.pendingCount === 0) this.hosts.delete(host);
  }

  /** Up to `max` extra connections to `host`, as many as are free now (possibly 0). */
  borrow(host: string, max: number): number {
    const g = this.global;
    const h = this.host(host);
    // p-limit's concurrency can be lowered while tasks run; lowering it by n reserves n free slots.
    let free = g.concurrency - g.activeCount;
    if (h !== g) free = Math.min(free, h.concurrency - h.activeCount);
    const n = Math.max(0, Math.min(max, free));
    if (n > 0) {
      g.concurrency -= n;
      if (h !== g) h.concurrency -= n;
    }
    return n;
  }

  /**
   * A download that will sleep (a retry's backoff, a Retry-After) lets another use its slot meanwhile: its slot
   * is lent to the queue like a slot given back. `unpark` waits until a slot is free again and takes it back.
   */
  park(host: string): void {
    this.giveBack(host, 1);
  }

  async unpark(host: string): Promise<void> {
    const g = this.global;
    const h = this.host(host);
    // A placeholder queued like any download: when it runs, a slot is free; lowering the limits by one turns
    // that slot into the parked download's own again, and the placeholder ends.
    await new Promise<void>((resolve) => {
      const take = async () => {
        g.concurrency -= 1;
        if (h !== g) h.concurrency -= 1;
        resolve();
      };
      void (h === g ? g(take) : h(() => g(take)));
    });
  }

  /** Undoes a park() whose download ended without unpark (its worker died). */
  takeBack(host: string): void {
    this.global.concurrency -= 1;
    const h = this.hosts.get(host);
    if (h) h.concurrency -= 1;
  }

  giveBack(host: string, n: number): void {
    if (n <= 0) return;
    this.global.concurrency += n;
    // Lent slots belong to a running download, so its host's limiter is still there.
    const h = this.hosts.get(host);
    if (h) h.concurrency += n;
  }
}

/**
 * The one scheduler both engines share: -j slots in total, --per-host slots per host, the job stream pulled
 * only while fewer than a small multiple of -j jobs wait (a list of a million URLs is never held in memory).
 * A job waits for its host's slot before it takes a global one, so a busy host does not block the others.
 * `runJob` is where engines differ: the async engine downloads on this event loop, the threads engine hands
 * the job to a worker. A slot is held until its result is back, so -j bounds downloads across all workers (a
 * download lends it out while it sleeps, and while it writes a small body already whole in memory: see park).
 */
export async function schedule(
  jobs: AsyncIterable<JobOrResult>,
  slots: Slots,
  signal: AbortSignal,
  runJob: (job: Job) => Promise<FileResult>,
  onResult: (r: FileResult) => void,
): Promise<void> {
  const global = slots.global;
  const maxPending = Math.max(64, global.concurrency * 4);
  let pending = 0;
  /** Jobs taken from the stream and not finished, per host (a host of none is not in it). */
  const perHost = new Map<string, number>();
  let failure: unknown;
  let wake: (() => void) | undefined;
  const done = () => {
    pending--;
    wake?.();
  };
  for await (const item of jobs) {
    if ('result' in item) {
      onResult(item.result);
      continue;
    }
    if (signal.aborted || failure !== undefined) break;
    const { job } = item;
    const limitHost = slots.host(job.host);
    pending++;
    perHost.set(job.host, (perHost.get(job.host) ?? 0) + 1);
    const start = () => {
      job.hostAgain = perHost.get(job.host)! > 1;
      return runJob(job);
    };
    const finish = () => {
      const n = perHost.get(job.host)! - 1;
      if (n === 0) perHost.delete(job.host);
      else perHost.set(job.host, n);
      slots.forgetIfIdle(job.host);
      done();
    };
    const task = limitHost === global ? global(start) : limitHost(() => global(start));
    // (One then() for both outcomes: a finally() would cost another promise per download.)
    task.then(
      (r) => {
        finish();
        onResult(r);
      },
      (err: unknown) => {
        // runJob never rejects for a single download; a rejection is the engine itself failing.
        failure ??= err;
        finish();
      },
    );
    while (pending >= maxPending) await new Promise<void>((r) => (wake = r));
  }
  while (pending > 0) await new Promise<void>((r) => (wake = r));
  if (failure !== undefined) throw failure;
}
