import { MAX_DELAY_MS } from '../options.js';

/**
 * --limit-rate: one token bucket for every download of the run (curl's and wget's option: bytes per second in
 * total). A body that takes more than the bucket holds pauses its socket until the bucket has refilled, so
 * the server is slowed down by TCP, not buffered in memory. The bucket holds one second of bytes: a burst
 * after a pause is at most that.
 */
export class RateLimiter {
  #tokens: number;
  #last: number;

  constructor(
    readonly bytesPerSec: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.#tokens = bytesPerSec;
    this.#last = now();
  }

  /** Takes `n` bytes; returns how long (ms) their reader should wait before reading more (0: go on). */
  take(n: number): number {
    const now = this.now();
    this.#tokens = Math.min(this.bytesPerSec, this.#tokens + ((now - this.#last) * this.bytesPerSec) / 1000);
    this.#last = now;
    this.#tokens -= n;
    if (this.#tokens >= 0) return 0;
    // At 1 byte/s a few large chunks would ask for more than a timer holds (and get 1 ms).
    return Math.min(MAX_DELAY_MS, Math.ceil((-this.#tokens * 1000) / this.bytesPerSec));
  }
}
