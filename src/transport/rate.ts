import { MAX_DELAY_MS } from '../option-values.js';

/** Milliseconds on the monotonic clock every thread of the process reads alike (performance.now() does not). */
const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/** Most a due time may say in ns: a BigInt64 holds it (at 1 byte/s this is 290 years of bytes). */
const MAX_DUE_NS = 9e18;

/**
 * --limit-rate: one token bucket for every download of the run (curl's and wget's option: bytes per second in
 * total), worker threads included: they share its one number in memory (shared()). A body that takes more than
 * the bucket holds pauses its socket until the bucket has refilled, so the server is slowed down by TCP, not
 * buffered in memory. The bucket starts empty and holds BURST_MS of bytes: however the reads fall, the bytes
 * taken from its start are at most the rate times the time since, once the last ones are paid for (debtMs), so
 * the run's average is at or below the rate.
 *
 * The bucket is kept as the time its bytes are paid for ("due"; the cell rate algorithm): `tokens` of the
 * classic bucket are (now - due) x rate, capped at the burst. One number makes a take one compare-and-swap,
 * which lets threads share it without a lock. It runs on real time even under a test's virtual clock: bodies
 * arrive, and wait for the rate, in real time.
 */
export class RateLimiter {
  /** Most a pause (a slow server, the gap between two files) saves up to be read at once afterwards. */
  static readonly BURST_MS = 250;
  /** [0]: when the bytes taken so far are paid for, in ns on `now`'s timeline. */
  readonly #due: BigInt64Array;

  constructor(
    readonly bytesPerSec: number,
    private readonly now: () => number = monotonicMs,
    /** The bucket of another thread's limiter (its shared()), to take from the same bytes. */
    shared?: SharedArrayBuffer,
  ) {
    this.#due = new BigInt64Array(shared ?? new SharedArrayBuffer(8));
    if (shared === undefined) this.#due[0] = toNs(now());
  }

  /** The bucket, for a limiter in another thread (same rate, same clock) to share. */
  shared(): SharedArrayBuffer {
    return this.#due.buffer as SharedArrayBuffer;
  }

  /**
   * How long (ms) until the bytes taken so far are paid for: a body that has ended waits this long before it
   * counts as done, as wget sleeps after its last read (the read itself cannot be waited for).
   */
  debtMs(): number {
    return waitMs(Number(Atomics.load(this.#due, 0)) / 1e6 - this.now());
  }

  /** Takes `n` bytes; returns how long (ms) their reader should wait before reading more (0: go on). */
  take(n: number): number {
    const now = this.now();
    const cost = (n * 1000) / this.bytesPerSec;
    for (;;) {
      const old = Atomics.load(this.#due, 0);
      const due = Math.max(Number(old) / 1e6, now - RateLimiter.BURST_MS) + cost;
      if (Atomics.compareExchange(this.#due, 0, old, toNs(due)) === old) return waitMs(due - now);
    }
  }
}

// Rounded up: a reader never comes back before its bytes are paid for.
function toNs(ms: number): bigint {
  return BigInt(Math.min(MAX_DUE_NS, Math.ceil(ms * 1e6)));
}

// At 1 byte/s a few large chunks would ask for more than a timer holds (and get 1 ms).
function waitMs(ms: number): number {
  return ms <= 0 ? 0 : Math.min(MAX_DELAY_MS, Math.ceil(ms));
}
