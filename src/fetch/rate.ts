import { MAX_DELAY_MS } from '../options.js';

/**
 * --limit-rate: one token bucket for every download of the run (curl's and wget's option: bytes per second in
 * total). A body that takes more than the bucket holds pauses its socket until the bucket has refilled, so
 * the server is slowed down by TCP, not buffered in memory. The bucket starts empty and holds BURST_MS of
 * bytes: however the reads fall, the bytes taken from its start are at most the rate times the time since,
 * once the last ones are paid for (debtMs), so the run's average is at or below the rate.
 */
export class RateLimiter {
  /** Most a pause (a slow server, the gap between two files) saves up to be read at once afterwards. */
  static readonly BURST_MS = 250;
  #tokens = 0;
  #last: number;
  readonly #burst: number;

  constructor(
    readonly bytesPerSec: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.#burst = (bytesPerSec * RateLimiter.BURST_MS) / 1000;
    this.#last = now();
  }

  /**
   * How long (ms) until the bytes taken so far are paid for: a body that has ended waits this long before it
   * counts as done, as wget sleeps after its last read (the read itself cannot be waited for).
   */
  debtMs(): number {
    const tokens = this.#tokens + ((this.now() - this.#last) * this.bytesPerSec) / 1000;
    return tokens >= 0 ? 0 : Math.min(MAX_DELAY_MS, Math.ceil((-tokens * 1000) / this.bytesPerSec));
  }

  /** Takes `n` bytes; returns how long (ms) their reader should wait before reading more (0: go on). */
  take(n: number): number {
    const now = this.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) * this.bytesPerSec) / 1000);
    this.#last = now;
    this.#tokens -= n;
    if (this.#tokens >= 0) return 0;
    // At 1 byte/s a few large chunks would ask for more than a timer holds (and get 1 ms).
    return Math.min(MAX_DELAY_MS, Math.ceil((-this.#tokens * 1000) / this.bytesPerSec));
  }
}
