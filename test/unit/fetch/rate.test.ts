import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../../src/fetch/rate.js';

/** A clock the test moves by hand. */
function clock() {
  let t = 5000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('RateLimiter (--limit-rate)', () => {
  it('lets one second of bytes through at once, then asks to wait for exactly what is over', () => {
    const c = clock();
    const r = new RateLimiter(1000, c.now);
    expect(r.take(600)).toBe(0);
    expect(r.take(400)).toBe(0);
    expect(r.take(500)).toBe(500);
    // Waited as asked: the bucket is back to empty, not in debt.
    c.advance(500);
    expect(r.take(0)).toBe(0);
    expect(r.take(250)).toBe(250);
  });

  it('refills at the rate while nothing is taken, never beyond one second of bytes', () => {
    const c = clock();
    const r = new RateLimiter(2000, c.now);
    expect(r.take(2000)).toBe(0);
    c.advance(250); // 500 bytes back
    expect(r.take(500)).toBe(0);
    expect(r.take(1)).toBe(1); // ceil: half a millisecond is a whole one
    c.advance(60_000); // a long pause saves up one second's burst, no more
    expect(r.take(2000)).toBe(0);
    expect(r.take(2000)).toBe(1000);
  });

  it('waits in whole milliseconds, rounded up, so a reader never comes back too early', () => {
    const c = clock();
    const r = new RateLimiter(3, c.now);
    expect(r.take(3)).toBe(0);
    expect(r.take(1)).toBe(334);
  });
});
