import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ProgressBatch } from '../../../src/engine/progress-batch.js';
import type { DownloadEvent } from '../../../src/events.js';

const progress = (id: number, transferred: number): DownloadEvent => ({
  type: 'progress',
  id,
  url: `http://h/${id}`,
  path: `${id}.bin`,
  transferred,
  total: 1000,
});
const warning: DownloadEvent = { type: 'warning', message: 'w' };

function batch(intervalMs = 100) {
  const sent: DownloadEvent[][] = [];
  return { b: new ProgressBatch(intervalMs, (events) => sent.push(events)), sent };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  expect(vi.getTimerCount()).toBe(0);
  vi.useRealTimers();
});

describe('ProgressBatch (a worker thread’s progress, --mode threads)', () => {
  it('sends the latest progress of each file once per interval, not once per chunk', () => {
    const { b, sent } = batch();
    for (let i = 1; i <= 50; i++) {
      b.emit(progress(1, i * 10));
      b.emit(progress(2, i * 20));
      vi.advanceTimersByTime(1);
    }
    // 50 ms in: nothing sent yet; at 100 ms one message with both files at their last figures.
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(50);
    expect(sent).toEqual([[progress(1, 500), progress(2, 1000)]]);
    // Quiet files send nothing, and no timer stays behind.
    vi.advanceTimersByTime(1000);
    expect(sent).toHaveLength(1);
  });

  it('sends the progress waiting before any other event, so the main thread sees them in order', () => {
    const { b, sent } = batch();
    b.emit(progress(1, 10));
    b.emit(warning);
    expect(sent).toEqual([[progress(1, 10)], [warning]]);
    vi.advanceTimersByTime(100);
    expect(sent).toHaveLength(2);
  });

  it('drops the waiting progress of a file whose download ended (its result must come last)', () => {
    const { b, sent } = batch();
    b.emit(progress(1, 10));
    b.emit(progress(2, 10));
    b.forget(1);
    vi.advanceTimersByTime(100);
    expect(sent).toEqual([[progress(2, 10)]]);
  });

  it('flush() sends what waits at once and cancels the timer (the worker is closing)', () => {
    const { b, sent } = batch(60_000);
    b.emit(progress(3, 1));
    b.flush();
    expect(sent).toEqual([[progress(3, 1)]]);
  });
});
