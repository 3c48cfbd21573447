import { AsyncEngine } from '../../src/engine/async.js';
import type { FileResult } from '../../src/events.js';
import type { FetchContext } from '../../src/fetch/context.js';
import { HostGate } from '../../src/fetch/host-gate.js';
import type { JobOrResult } from '../../src/jobs/job.js';

/**
 * A clock for the async engine that no test waits on. Every sleep of the run (a retry's delay, Retry-After, a
 * --host-rate turn) is a timer on this clock; at each turn of the event loop the clock jumps to the earliest
 * one and wakes it, so sleeps overlap as real ones do and `now()` reads what a real clock would have. The host
 * gate runs on it too. The sockets stay real: only the waiting is virtual. (--mode threads cannot take one:
 * its workers build their own context.)
 */
export function virtualClock() {
  let t = 0;
  let seq = 0;
  /** Every sleep asked for, in ms, in order. */
  const slept: number[] = [];
  const sleepers: { wake: number; seq: number; resolve: () => void }[] = [];
  let ticking = false;
  const tick = () => {
    ticking = false;
    sleepers.sort((a, b) => a.wake - b.wake || a.seq - b.seq);
    const next = sleepers[0];
    if (next === undefined) return;
    t = Math.max(t, next.wake);
    for (const s of sleepers.splice(0, sleepers.filter((s) => s.wake === next.wake).length)) s.resolve();
    if (sleepers.length > 0) schedule();
  };
  const schedule = () => {
    if (ticking) return;
    ticking = true;
    setImmediate(tick);
  };
  const now = () => t;
  const sleep = (ms: number, signal: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      slept.push(ms);
      if (signal.aborted) return reject(signal.reason);
      const onAbort = () => {
        sleepers.splice(sleepers.indexOf(s), 1);
        reject(signal.reason);
      };
      const s = {
        wake: t + ms,
        seq: seq++,
        resolve: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      sleepers.push(s);
      signal.addEventListener('abort', onAbort, { once: true });
      schedule();
    });
  const engine = new (class extends AsyncEngine {
    override run(jobs: AsyncIterable<JobOrResult>, ctx: FetchContext, onResult: (r: FileResult) => void) {
      const rate = ctx.opts.hostRate;
      return super.run(
        jobs,
        {
          ...ctx,
          sleep,
          hostGate: rate === undefined ? undefined : new HostGate(rate, now, ctx.opts.retry.maxRetryAfterMs),
        },
        onResult,
      );
    }
  })();
  return { now, slept, engine };
}
