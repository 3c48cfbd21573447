import { MAX_DELAY_MS } from '../options.js';

/**
 * --host-rate: at most `perSecond` requests start per host (host:port), evenly spaced, for politeness. A host
 * that answers 429 or 503 gets nothing before its Retry-After has passed (at most `maxHoldMs`: the run's
 * longest Retry-After; the download that was told to wait longer gives up), and half its rate for the rest of
 * the run (each time it says so). Every wait fits a timer. Pure bookkeeping with an injected clock: callers wait
 * what reserve() says.
 */
export class HostGate {
  readonly #hosts = new Map<string, Host>();
  readonly #intervalMs: number;

  constructor(
    perSecond: number,
    private readonly now: () => number = () => performance.now(),
    private readonly maxHoldMs: number = MAX_DELAY_MS,
  ) {
    this.#intervalMs = Math.min(MAX_DELAY_MS, 1000 / perSecond);
  }

  /** Milliseconds to wait before a request to `host` may start; the start is booked (call once per request). */
  reserve(host: string): number {
    const now = this.now();
    if (this.#hosts.size > 10_000) this.#forgetIdle(now);
    let h = this.#hosts.get(host);
    if (h === undefined) {
      h = { nextAt: now, intervalMs: this.#intervalMs, rests: 0 };
      this.#hosts.set(host, h);
    }
    const start = Math.max(now, h.nextAt);
    h.nextAt = start + h.intervalMs;
    // A queue of requests booked far ahead would add up past what a timer holds.
    return Math.min(MAX_DELAY_MS, start - now);
  }

  /** `host` answered 429 or 503: wait out `retryAfterMs` (if it gave one), then go at half the rate. */
  slowDown(host: string, retryAfterMs: number | undefined): void {
    const now = this.now();
    let h = this.#hosts.get(host);
    if (h === undefined) {
      h = { nextAt: now, intervalMs: this.#intervalMs, rests: 0 };
      this.#hosts.set(host, h);
    }
    h.rests++;
    h.intervalMs = Math.min(MAX_DELAY_MS, h.intervalMs * 2);
    h.nextAt = Math.max(h.nextAt, now + Math.min(retryAfterMs ?? 0, this.maxHoldMs));
  }

  /**
   * How many times `host` said it was overloaded. A request whose turn was booked before the latest 429/503 books
   * again once that turn comes (see request.ts): it goes after the rest, not in the middle of it.
   */
  rests(host: string): number {
    return this.#hosts.get(host)?.rests ?? 0;
  }

  /** The rate `host` gets now, in requests per second (for tests and reports). */
  rateOf(host: string): number {
    return 1000 / (this.#hosts.get(host)?.intervalMs ?? this.#intervalMs);
  }

  /** A list of a million hosts keeps no map of them: hosts with nothing booked and their full rate go. */
  #forgetIdle(now: number): void {
    for (const [host, h] of this.#hosts) {
      if (h.nextAt <= now && h.intervalMs === this.#intervalMs) this.#hosts.delete(host);
    }
  }
}

interface Host {
  /** When the next request may start. */
  nextAt: number;
  intervalMs: number;
  /** 429/503 answers so far (see rests()). */
  rests: number;
}
