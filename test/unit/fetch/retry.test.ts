import { afterEach, describe, expect, it } from 'vitest';
import { DlpoolError, HttpStatusError, TimeoutError } from '../../../src/errors.js';
import { mirrorRetryDelay, parseRetryAfter, retryDelay } from '../../../src/policy/retry.js';

const policy = { retries: 5, baseDelayMs: 500, maxDelayMs: 30_000, maxRetryAfterMs: 300_000 };
const net = new DlpoolError('ERR_DL_NETWORK', 'reset');

describe('retryDelay', () => {
  it('retries running out of file descriptors (EMFILE, ENFILE), with or without mirrors; other file errors are final', () => {
    const file = (errno: string) =>
      new DlpoolError('ERR_DL_FILE', `cannot write 'a.part': ${errno}`, { errno });
    for (const errno of ['EMFILE', 'ENFILE']) {
      expect(retryDelay(1, file(errno), policy, () => 1)).toBe(500);
      expect(mirrorRetryDelay(1, 2, file(errno), policy, () => 1)).toBe(500);
      expect(mirrorRetryDelay(3, 2, file(errno), policy, () => 1)).toBe(1000);
      expect(retryDelay(6, file(errno), policy)).toBe('stop');
    }
    expect(retryDelay(1, file('ENOSPC'), policy)).toBe('stop');
    expect(mirrorRetryDelay(1, 2, file('EACCES'), policy)).toBe('stop');
  });

  it('doubles from the base delay with equal jitter, capped', () => {
    expect(retryDelay(1, net, policy, () => 0)).toBe(250);
    expect(retryDelay(1, net, policy, () => 1)).toBe(500);
    expect(retryDelay(3, net, policy, () => 1)).toBe(2000);
    expect(retryDelay(5, net, { ...policy, maxDelayMs: 3000 }, () => 1)).toBe(3000);
  });

  it('keeps every delay between half and all of the capped exponential, whatever the random draw', () => {
    const draws = [0, 0.1, 0.5, 0.9, 0.999_999];
    for (let attempt = 1; attempt <= 12; attempt++) {
      const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      const delays = draws.map(
        (r) => retryDelay(attempt, net, { ...policy, retries: 99 }, () => r) as number,
      );
      for (const d of delays) {
        expect(d).toBeGreaterThanOrEqual(exp / 2);
        expect(d).toBeLessThanOrEqual(exp);
      }
      // More random, longer wait: the draw only spreads the crowd, it never changes the bounds.
      expect([...delays].sort((a, b) => a - b)).toEqual(delays);
    }
  });

  it('caps very late attempts at maxDelayMs (no Infinity, no NaN) and honours zero delays', () => {
    const many = { ...policy, retries: 10_000 };
    expect(retryDelay(60, net, many, () => 1)).toBe(30_000);
    expect(retryDelay(5000, net, many, () => 0.5)).toBe(22_500); // 2 ** 4999 is Infinity: still the cap
    expect(retryDelay(3, net, { ...policy, baseDelayMs: 0 }, () => 1)).toBe(0);
    expect(retryDelay(3, net, { ...policy, maxDelayMs: 0 }, () => 1)).toBe(0);
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

  it('takes Retry-After over the cap on backoff, up to maxRetryAfterMs inclusive', () => {
    const busy = (ms: number) => new HttpStatusError(429, '', { retryAfterMs: ms });
    // maxDelayMs caps our own backoff, not what the server asks for.
    expect(retryDelay(1, busy(60_000), policy, () => 1)).toBe(60_000);
    expect(retryDelay(1, busy(300_000), policy, () => 1)).toBe(300_000);
    expect(retryDelay(1, busy(300_001), policy, () => 1)).toBe('stop');
    // Shorter than the backoff: the backoff (attempt 4: 2-4 s).
    expect(retryDelay(4, busy(1000), policy, () => 0)).toBe(2000);
  });

  it('never lets Retry-After extend the retries or make a final status retryable', () => {
    expect(retryDelay(6, new HttpStatusError(503, '', { retryAfterMs: 1000 }), policy, () => 0)).toBe('stop');
    expect(retryDelay(1, new HttpStatusError(404, '', { retryAfterMs: 1000 }), policy, () => 0)).toBe('stop');
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

  it('reads delay-seconds with spaces around, zero, and the first of repeated headers', () => {
    expect(parseRetryAfter(' 120 ')).toBe(120_000);
    expect(parseRetryAfter('0')).toBe(0);
    expect(parseRetryAfter(['2', '9'])).toBe(2000);
  });

  describe('the three HTTP-date forms (RFC 9110 5.6.7), in any time zone of this machine', () => {
    const now = Date.UTC(1994, 10, 6, 8, 49, 30); // 7 s before the date below
    const tz = process.env['TZ'];
    afterEach(() => {
      if (tz === undefined) delete process.env['TZ'];
      else process.env['TZ'] = tz;
    });
    for (const zone of ['UTC', 'America/New_York', 'Asia/Tokyo']) {
      it(zone, () => {
        process.env['TZ'] = zone;
        expect(parseRetryAfter('Sun, 06 Nov 1994 08:49:37 GMT', now)).toBe(7000); // IMF-fixdate
        expect(parseRetryAfter('Sunday, 06-Nov-94 08:49:37 GMT', now)).toBe(7000); // obsolete RFC 850
        // asctime has no zone and means GMT; read as local time it was hours off (in New York, 5 h: past
        // maxRetryAfterMs, so the download gave up instead of waiting 7 s).
        expect(parseRetryAfter('Sun Nov  6 08:49:37 1994', now)).toBe(7000);
      });
    }
  });

  it('is undefined for what is neither delay-seconds nor an HTTP-date (Date.parse would take some as dates)', () => {
    for (const v of ['1.5', '-1', '+5', '5s', '1e3', '0x10', '', ' ', 'in 5 minutes']) {
      expect(parseRetryAfter(v, 0), JSON.stringify(v)).toBeUndefined();
    }
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
