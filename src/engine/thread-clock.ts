import type { RunClock } from '../fetch/context.js';

/**
 * A run's own clock (RunClock) across worker threads: a worker reads the time from the clock's shared memory
 * and sleeps on the main thread's clock, one request per sleep, so every thread's waits are on one timeline.
 */

/** Asks the main thread for `m`; the request is given up (and the main thread told) when `signal` aborts. */
export type Ask = (m: { type: 'sleep'; ms: number }, signal: AbortSignal) => Promise<string>;

/** A worker thread's view of the main thread's clock. */
export function workerClock(time: Float64Array, ask: Ask): RunClock {
  return {
    now: () => time[0]!,
    sleep: async (ms, signal) => {
      await ask({ type: 'sleep', ms }, signal);
    },
    time,
  };
}

/** The main thread's side for one worker: its sleeps on `clock`, each ended early by the run or the worker. */
export class SleepRelay {
  readonly #pending = new Map<number, AbortController>();

  constructor(
    private readonly clock: RunClock,
    private readonly signal: AbortSignal,
  ) {}

  async sleep(req: number, ms: number): Promise<string> {
    const stop = new AbortController();
    this.#pending.set(req, stop);
    try {
      await this.clock.sleep(ms, AbortSignal.any([this.signal, stop.signal]));
      return '';
    } finally {
      this.#pending.delete(req);
    }
  }

  /** The worker gave up request `req` (a sleep whose signal aborted there). */
  cancel(req: number): void {
    this.#pending.get(req)?.abort();
  }
}

/**
 * When a run's own clock may move on in --mode threads (RunClock.watch): once no thread has anything queued that
 * could book an earlier wake. A round pings every worker, which answers from its next turn, after whatever it
 * had queued; rounds go on while any other message went either way meanwhile. (The async engine needs none:
 * its downloads and the clock share one event loop.)
 */
export class QuietRounds<W> {
  /** Messages between the threads other than pings and their answers, counted by the engine. */
  traffic = 0;
  #round: { waiting: Set<W>; resolve: () => void } | undefined;
  #settling: Promise<void> | undefined;

  constructor(
    private readonly workers: () => Iterable<W>,
    private readonly ping: (w: W) => void,
  ) {}

  settled(): Promise<void> {
    return (this.#settling ??= this.#rounds().finally(() => (this.#settling = undefined)));
  }

  /** `w` answered the ping, or is gone. */
  answered(w: W): void {
    const r = this.#round;
    if (!r?.waiting.delete(w)) return;
    if (r.waiting.size === 0) r.resolve();
  }

  async #rounds(): Promise<void> {
    for (;;) {
      const before = this.traffic;
      await new Promise<void>((resolve) => {
        const waiting = new Set(this.workers());
        if (waiting.size === 0) return resolve();
        this.#round = { waiting, resolve };
        for (const w of waiting) this.ping(w);
      });
      this.#round = undefined;
      if (this.traffic === before) return;
    }
  }
}
