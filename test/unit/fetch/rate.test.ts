import { describe, expect, it } from 'vitest';
import { normalizeOptions } from '../../../src/options.js';
import { RateLimiter } from '../../../src/transport/rate.js';

/** A clock the test moves by hand. */
function clock() {
  let t = 5000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('RateLimiter (--limit-rate)', () => {
  it('paces from its start: nothing is let through for free, a reader waits for exactly what is over', () => {
    const c = clock();
    const r = new RateLimiter(1000, c.now);
    expect(r.take(600)).toBe(600);
    c.advance(600);
    // Waited as asked: the bucket is back to empty, not in debt.
    expect(r.take(0)).toBe(0);
    c.advance(200);
    expect(r.take(200)).toBe(0);
    expect(r.take(250)).toBe(250);
  });

  it('over any stretch from its start, the bytes let through and paid for stay within rate x time', () => {
    const c = clock();
    const rate = 1024 * 1024;
    const r = new RateLimiter(rate, c.now);
    const start = c.now();
    let bytes = 0;
    let stalled = 0;
    // Reads of all sizes (a socket gives what it has, up to 64 KiB), now and then a stall of the server.
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let i = 0; i < 2000; i++) {
      if (next() % 50 === 0) {
        const ms = next() % 3000;
        stalled += ms;
        c.advance(ms);
      }
      const n = 1 + (next() % 65536);
      bytes += n;
      c.advance(r.take(n));
      expect(bytes).toBeLessThanOrEqual((rate * (c.now() - start)) / 1000);
    }
    // Outside the stalls the reads went at the rate: the waits were no longer than they had to be.
    expect(bytes).toBeGreaterThan((0.99 * rate * (c.now() - start - stalled)) / 1000);
  });

  it('saves up at most a quarter of a second while nothing is taken', () => {
    const c = clock();
    const r = new RateLimiter(2000, c.now);
    c.advance(60_000);
    expect(r.take(500)).toBe(0);
    expect(r.take(1)).toBe(1); // ceil: half a millisecond is a whole one
  });

  it('says how long until what was taken is paid for (a body that ended waits that long)', () => {
    const c = clock();
    const r = new RateLimiter(1000, c.now);
    expect(r.debtMs()).toBe(0);
    r.take(300);
    expect(r.debtMs()).toBe(300);
    c.advance(100);
    expect(r.debtMs()).toBe(200);
    c.advance(500);
    expect(r.debtMs()).toBe(0);
  });

  it('never asks a body to wait longer than a timer holds (a longer timer fires after 1 ms)', () => {
    const r = new RateLimiter(1, clock().now);
    r.take(10_000_000);
    expect(r.debtMs()).toBe(2 ** 31 - 1);
  });

  it('limiters on one bucket (worker threads) pace their bytes together', () => {
    const c = clock();
    const a = new RateLimiter(1000, c.now);
    const b = new RateLimiter(1000, c.now, a.shared());
    expect(a.take(300)).toBe(300);
    expect(b.take(300)).toBe(600);
    expect(a.debtMs()).toBe(600);
    c.advance(600);
    expect(b.debtMs()).toBe(0);
  });

  it('waits in whole milliseconds, rounded up, so a reader never comes back too early', () => {
    const c = clock();
    const r = new RateLimiter(3, c.now);
    expect(r.take(1)).toBe(334);
  });
});

describe('limitRateBytes', () => {
  it('0 is no limit, as curl --limit-rate 0', () => {
    expect(normalizeOptions({ limitRateBytes: 0 }).limitRateBytes).toBeUndefined();
    expect(normalizeOptions({ limitRateBytes: 1 }).limitRateBytes).toBe(1);
    expect(() => normalizeOptions({ limitRateBytes: -1 })).toThrow(/limitRateBytes/);
    expect(() => normalizeOptions({ limitRateBytes: 1.5 })).toThrow(/limitRateBytes/);
  });
});
