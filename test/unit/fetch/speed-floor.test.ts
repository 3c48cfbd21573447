import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ResponseBody } from '../../../src/transport/response-body.js';
import { unwatchSpeed, type Watched, watchSpeed } from '../../../src/transport/speed-floor.js';

// The floor is judged by one shared interval timer against performance.now(): both faked, so a window of
// seconds takes no real time and every judgement lands on a known tick.
let watching: Watched[] = [];

function watched(minBytesPerSec: number, windowMs: number) {
  const aborted: Error[] = [];
  const body = new ResponseBody((r) => aborted.push(r), undefined);
  body.on('error', () => {});
  const w = watchSpeed(body, { minBytesPerSec, windowMs });
  watching.push(w);
  return { body, w, aborted };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'performance'] });
});

afterEach(() => {
  // The ticker is module state: it must stop here, or the next test would find it running on a dead clock.
  for (const w of watching) unwatchSpeed(w);
  watching = [];
  vi.advanceTimersByTime(60_000);
  expect(vi.getTimerCount()).toBe(0);
  vi.useRealTimers();
});

describe('the speed floor (--speed-limit, --speed-time)', () => {
  it('fails a body that brought less than the floor over a whole window, at the end of that window', () => {
    const { body, w, aborted } = watched(100, 1000);
    w.bytes += 99; // 99 bytes in the first second: one short
    vi.advanceTimersByTime(999);
    expect(body.destroyed).toBe(false);
    vi.advanceTimersByTime(1); // the window has run its length: judged at this tick (a quarter window apart)
    expect(body.destroyed).toBe(true);
    expect(body.errored).toMatchObject({
      code: 'ERR_DL_TIMEOUT',
      message: 'slower than 100 bytes/s for 1 s (99 bytes; --speed-limit, --speed-time)',
    });
    expect(aborted).toHaveLength(1); // the request is aborted, not only the body
  });

  it('judges each window on its own: a fast start does not carry a later stall', () => {
    const { body, w } = watched(100, 1000);
    w.bytes += 10_000;
    vi.advanceTimersByTime(1000);
    for (let s = 0; s < 4; s++) {
      w.bytes += 100; // exactly the floor
      vi.advanceTimersByTime(1000);
    }
    expect(body.destroyed).toBe(false);
    vi.advanceTimersByTime(1000); // a second with nothing
    expect(body.destroyed).toBe(true);
    expect(body.errored?.message).toMatch(/\(0 bytes;/);
  });

  it('checks four times per window, so a window that starts between ticks is judged at most a quarter late', () => {
    const first = watched(100, 1000); // starts the timer: a tick every 250 ms
    first.w.bytes += 1_000_000;
    vi.advanceTimersByTime(100);
    const late = watched(100, 1000); // its window ends at 1100, between the ticks at 1000 and 1250
    vi.advanceTimersByTime(1000);
    expect(late.body.destroyed).toBe(false);
    vi.advanceTimersByTime(150);
    expect(late.body.destroyed).toBe(true);
    expect(late.body.errored?.message).toMatch(/\(0 bytes;/);
  });

  it('runs one timer for every floor, at the pace of the shortest window', () => {
    const slow = watched(1, 60_000);
    const quick = watched(1000, 400);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(400);
    expect(quick.body.destroyed).toBe(true);
    expect(slow.body.destroyed).toBe(false);
    slow.w.bytes += 60;
    vi.advanceTimersByTime(60_000);
    expect(slow.body.destroyed).toBe(false);
  });

  it('stops watching a body whose request ended, and stops its timer when nothing is watched', () => {
    const { body, w } = watched(100, 1000);
    unwatchSpeed(w);
    vi.advanceTimersByTime(5000); // no bytes at all, but no longer watched
    expect(body.destroyed).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
    // A body destroyed by someone else is dropped at the next tick, without a second error.
    const other = watched(100, 1000);
    const cut = new Error('cut');
    other.body.destroy(cut);
    vi.advanceTimersByTime(2000);
    expect(other.body.errored).toBe(cut);
    expect(vi.getTimerCount()).toBe(0);
  });
});
