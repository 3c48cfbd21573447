import { describe, expect, it } from 'vitest';
import { fitOpenFiles, openFileLimit, withinOpenFiles } from '../../../src/policy/open-files.js';
import { normalizeOptions } from '../../../src/options.js';
import type { DownloadEvent } from '../../../src/events.js';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max processes             63416                63416                processes
Max open files            200                  4096                 files
Max locked memory         8388608              8388608              bytes
`;

describe('the open-file limit', () => {
  it('is read from /proc/self/limits (soft and hard), and is unknown when unlimited', () => {
    expect(openFileLimit(LIMITS)).toEqual({ soft: 200, hard: 4096 });
    expect(openFileLimit(LIMITS.replace('200                  4096', 'unlimited  unlimited'))).toBe(
      undefined,
    );
    expect(openFileLimit('')).toBe(undefined);
    // This process's own, where /proc exists.
    const own = openFileLimit();
    if (own !== undefined) expect(own.soft).toBeGreaterThan(0);
  });

  it('lowers -j to what the limit holds, with room for folders, workers and idle connections', () => {
    const o = { concurrency: 1000, workers: 2, mode: 'async', hashPool: 'inline' };
    const small = fitOpenFiles(o, { soft: 200, hard: 200 });
    // 200 - 40 (Node, stdio, lists) - 25 (folders) = 135 free: two thirds for downloads of 3 files each.
    expect(small).toEqual({
      concurrency: 30,
      maxConnections: 45,
      warning: '-j 1000 lowered to 30: the open-file limit (ulimit -n) is 200',
    });
    // Worker threads and hash workers take their share first.
    const threads = fitOpenFiles({ ...o, mode: 'threads', hashPool: 'processes' }, { soft: 200, hard: 200 });
    expect(threads.concurrency).toBe(25); // 200 - 40 - 25 - 2 x 4 - 2 x 6 = 115 free
    // A limit far below anything useful still leaves one download, and keeps no idle connection.
    expect(fitOpenFiles(o, { soft: 20, hard: 20 })).toMatchObject({ concurrency: 1, maxConnections: 0 });
    // Enough room: -j is kept, no warning; the idle connections get the rest.
    expect(fitOpenFiles({ ...o, concurrency: 16 }, { soft: 1024, hard: 1024 })).toEqual({
      concurrency: 16,
      maxConnections: 1024 - 40 - 128 - 16 * 3,
    });
    expect(fitOpenFiles(o, undefined)).toEqual({ concurrency: 1000, maxConnections: Infinity });
  });

  it('withinOpenFiles applies the fit to the run options and says so once', () => {
    const events: DownloadEvent[] = [];
    const opts = normalizeOptions({ concurrency: 500, perHost: 100, onEvent: (e) => events.push(e) });
    const fitted = withinOpenFiles(opts, { soft: 200, hard: 200 });
    expect(fitted).toMatchObject({ concurrency: 30, perHost: 30, maxConnections: 45 });
    expect(events).toEqual([
      { type: 'warning', message: '-j 500 lowered to 30: the open-file limit (ulimit -n) is 200' },
    ]);
    expect(withinOpenFiles(opts, { soft: 100_000, hard: 100_000 }).concurrency).toBe(500);
    expect(events).toHaveLength(1);
  });
});
