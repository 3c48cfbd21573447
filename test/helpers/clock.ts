import type { RunClock } from '../../src/policy/context.js';

/**
 * A clock for a run that no test waits on (download()'s `clock`), in either engine. Every sleep of the run (a
 * retry's delay, Retry-After, a --host-rate turn) is a timer on this clock; at each turn of the event loop the
 * clock jumps to the earliest one and wakes it, so sleeps overlap as real ones do and `now()` reads what a real
 * clock would have. The host gates run on it too. The sockets stay real: only the waiting is virtual. Worker
 * threads read its time from shared memory and sleep on it through the main thread; before each jump the clock
 * waits until no thread has anything queued that could book an earlier wake (RunClock.watch).
 */
export function virtualClock(): RunClock & { slept: number[] } {
  const time = new Float64Array(new SharedArrayBuffer(8));
  let seq = 0;
  /** Every sleep asked for, in ms, in order. */
  const slept: number[] = [];
  const sleepers: { wake: number; seq: number; resolve: () => void }[] = [];
  let ticking = false;
  /** The engine's settled() (worker threads): the clock moves on once each has resolved. */
  const watchers = new Set<() => Promise<void>>();
  const tick = () => {
    if (watchers.size === 0) return jump();
    void Promise.all([...watchers].map((settled) => settled())).then(jump);
  };
  const jump = () => {
    ticking = false;
    sleepers.sort((a, b) => a.wake - b.wake || a.seq - b.seq);
    const next = sleepers[0];
    if (next === undefined) return;
    time[0] = Math.max(time[0]!, next.wake);
    for (const s of sleepers.splice(0, sleepers.filter((s) => s.wake === next.wake).length)) s.resolve();
    if (sleepers.length > 0) schedule();
  };
  const schedule = () => {
    if (ticking) return;
    ticking = true;
    setImmediate(tick);
  };
  const now = () => time[0]!;
  const sleep = (ms: number, signal: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      slept.push(ms);
      if (signal.aborted) return reject(signal.reason);
      const onAbort = () => {
        sleepers.splice(sleepers.indexOf(s), 1);
        reject(signal.reason);
      };
      const s = {
        wake: now() + ms,
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
  const watch = (settled: () => Promise<void>) => {
    watchers.add(settled);
    return () => watchers.delete(settled);
  };
  return { now, sleep, time, watch, slept };
}
