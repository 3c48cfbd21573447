import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../../src/fetch/rate.js';

describe('RateLimiter (--limit-rate)', () => {
  it('lets one second of bytes through at once, then asks to wait for what is over', () => {
    const r = new RateLimiter(1000);
    expect(r.take(600)).toBe(0);
    expect(r.take(400)).toBe(0);
    // 500 bytes over an empty bucket: half a second (a little less, for the time the test itself took).
    const wait = r.take(500);
    expect(wait).toBeGreaterThan(450);
    expect(wait).toBeLessThanOrEqual(500);
  });
});
