import type { HostTurns, RunClock } from '../policy/context.js';
import type { FetchContext } from '../fetch/fetch-file.js';
import type { CookieAccess } from '../credentials/cookie-access.js';
import type { RunStateInit } from '../policy/run-state.js';
import type { FromWorker, WorkerInit } from './protocol.js';

/**
 * The run state worker threads share with the main thread (see runState): the --limit-rate bucket is shared
 * memory; the --host-rate gates and a run's own clock stay on the main thread, and a worker asks for its turns
 * and its sleeps. A worker reads that clock's time from shared memory, so every thread's waits are on one
 * timeline.
 */

/** Asks the main thread for `m`; the request is given up (and the main thread told) when `signal` aborts. */
export type Ask = (
  m:
    | { type: 'sleep'; ms: number }
    | { type: 'reserve' | 'rests'; host: string }
    | { type: 'cookies'; url: string },
  signal?: AbortSignal,
) => Promise<string>;

/** The messages of a worker's run state, answered by RunRelay. */
export type RunMessage = Extract<
  FromWorker,
  { type: 'reserve' | 'rests' | 'slowDown' | 'sleep' | 'cancel' | 'cookies' | 'setCookies' }
>;

/** What a worker thread's runState() takes from the main thread. */
export function fromMainThread(
  init: WorkerInit,
  ask: Ask,
  post: (m: RunMessage) => void,
): Pick<RunStateInit, 'rateBucket' | 'hostGate' | 'clock'> {
  const hostGate: HostTurns = {
    reserve: async (host) => Number(await ask({ type: 'reserve', host })),
    rests: async (host) => Number(await ask({ type: 'rests', host })),
    slowDown: (host, retryAfterMs) => post({ type: 'slowDown', host, retryAfterMs }),
  };
  return { rateBucket: init.rateBucket, hostGate, clock: init.clock && workerClock(init.clock, ask) };
}

/**
 * A worker's way to the run's cookie jar, which stays on the main thread: one jar for every thread, written once.
 * A response's Set-Cookie is posted before the worker's next question, and the main thread answers in order,
 * so a redirect's next hop (or the download's next request) sees what the last answer set.
 */
export function workerCookies(ask: Ask, post: (m: RunMessage) => void): CookieAccess {
  return {
    header: (url) => ask({ type: 'cookies', url }),
    store: (url, values) => post({ type: 'setCookies', url, values }),
  };
}

/** What WorkerInit carries of the run state: the shared memory of the rate bucket and of the clock's time. */
export function sharedRunState(ctx: FetchContext): Pick<WorkerInit, 'rateBucket' | 'clock'> {
  return { rateBucket: ctx.limiter?.shared(), clock: ctx.clock?.time };
}

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

/**
 * The main thread's side for one worker: its turns at the run's host gates, and its sleeps on the run's own
 * clock, each ended early by the run or by the worker giving it up.
 */
export class RunRelay {
  readonly #sleeps = new Map<number, AbortController>();

  constructor(private readonly ctx: FetchContext) {}

  /** Answers `m`; `reply` takes the answer to a request. */
  answer(m: RunMessage, reply: (req: number, work: () => string | Promise<string>) => void): void {
    const gate = this.ctx.hostGate;
    switch (m.type) {
      case 'reserve':
        return reply(m.req, () => String(gate?.reserve(m.host) ?? 0));
      case 'rests':
        return reply(m.req, () => String(gate?.rests(m.host) ?? 0));
      case 'slowDown':
        return gate?.slowDown(m.host, m.retryAfterMs);
      case 'sleep': {
        // Kept at once: a cancel may come in the same batch, before the reply's work starts.
        const stop = new AbortController();
        this.#sleeps.set(m.req, stop);
        return reply(m.req, () => this.#sleep(m.req, m.ms, stop));
      }
      case 'cancel':
        return this.#sleeps.get(m.req)?.abort();
      case 'cookies':
        return reply(m.req, () => this.ctx.cookies?.header(m.url) ?? '');
      case 'setCookies':
        return this.ctx.cookies?.store(m.url, m.values);
    }
  }

  async #sleep(req: number, ms: number, stop: AbortController): Promise<string> {
    try {
      const clock = this.ctx.clock;
      if (clock !== undefined) await clock.sleep(ms, AbortSignal.any([this.ctx.signal, stop.signal]));
      return '';
    } finally {
      this.#sleeps.delete(req);
    }
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
  /** Requests from workers that the main thread is answering (sleeps aside), counted by the engine. */
  busy = 0;
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
      if (this.traffic === before && this.busy === 0) return;
    }
  }
}
