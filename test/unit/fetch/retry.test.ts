import { describe, expect, it } from 'vitest';
import { DlpoolError, HttpStatusError, TimeoutError } from '../../../src/errors.js';
import { mirrorRetryDelay, parseRetryAfter, retryDelay } from '../../../src/fetch/retry.js';

const policy = { retries: 5, baseDelayMs: 500, maxDelayMs: 30_000, maxRetryAfterMs: 300_000 };
const net = new DlpoolError('ERR_DL_NETWORK', 'reset');

describe('retryDelay', () => {
  it('doubles from the base delay with equal jitter, capped', () => {
    expect(retryDelay(1, net, policy, () => 0)).toBe(250);
    expect(retryDelay(1, net, policy, () => 1)).toBe(500);
    expect(retryDelay(3, net, policy, () => 1)).toBe(2000);
    expect(retryDelay(5, net, { ...policy, maxDelayMs: 3000 }, () => 1)).toBe(3000);
  });

  it('stops after the last retry', () => {
    expect(retryDelay(5, net, policy, () => 0)).not.toBe('stop');
    expect(retryDelay(6, net, policy, () => 0)).toBe('stop');
  });

  it('retries only listed statuses and codes', () => {
    for (const s of [408, 429, 500, 502, 503, 504]) {
      expect(retryDelay(1, new HttpStatusError(s, '', {}), policy, () => 0)).toBeTypeOf('number');
    }
    for (const s of [400, 401, 403, 404, 410, 501]) {
      expect(retryDelay(1, new HttpStatusError(s, '', {}), policy, () => 0)).toBe('stop');
    }
    expect(retryDelay(1, new TimeoutError('body', 1000, {}), policy, () => 0)).toBeTypeOf('number');
    expect(retryDelay(1, new DlpoolError('ERR_DL_FILE', 'disk full'), policy, () => 0)).toBe('stop');
    expect(retryDelay(1, new Error('plain'), policy, () => 0)).toBe('stop');
  });

  it('honours Retry-After when it is longer than the backoff, up to a limit', () => {
    const busy = (ms: number) => new HttpStatusError(503, '', { retryAfterMs: ms });
    expect(retryDelay(1, busy(7000), policy, () => 0)).toBe(7000);
    expect(retryDelay(1, busy(0), policy, () => 1)).toBe(500);
    expect(retryDelay(1, busy(400_000), policy, () => 0)).toBe('stop');
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    const now = Date.parse('Sun, 22 Nov 2026 08:00:00 GMT');
    expect(parseRetryAfter('Sun, 22 Nov 2026 08:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Sun, 22 Nov 2026 07:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});

describe('mirrorRetryDelay', () => {
  const notFound = new HttpStatusError(404, '', {});
  const busy = new HttpStatusError(503, '', { retryAfterMs: 7000 });
  it('moves to the next URL at once after any server failure, and backs off between rounds', () => {
    // Three URLs: attempts 1 and 2 move on, attempt 3 ends round 1 (retryDelay of attempt 1).
    expect(mirrorRetryDelay(1, 3, notFound, policy, () => 0)).toBe(0);
    expect(mirrorRetryDelay(2, 3, busy, policy, () => 0)).toBe(0);
    expect(mirrorRetryDelay(3, 3, busy, policy, () => 0)).toBe(7000);
    expect(mirrorRetryDelay(3, 3, notFound, policy, () => 0)).toBe('stop');
    // --retries counts rounds: 6 rounds of 3.
    expect(mirrorRetryDelay(15, 3, busy, policy, () => 0)).toBe(7000);
    expect(mirrorRetryDelay(18, 3, busy, policy, () => 0)).toBe('stop');
  });

  it('stops at failures of this side, and is retryDelay for one URL', () => {
    expect(mirrorRetryDelay(1, 2, new DlpoolError('ERR_DL_FILE', 'disk full'), policy, () => 0)).toBe('stop');
    expect(mirrorRetryDelay(1, 2, new DlpoolError('ERR_DL_TOO_LARGE', 'big'), policy, () => 0)).toBe('stop');
    expect(mirrorRetryDelay(1, 1, notFound, policy, () => 0)).toBe('stop');
    expect(mirrorRetryDelay(1, 1, busy, policy, () => 0)).toBe(7000);
  });
});
