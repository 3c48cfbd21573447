import { describe, expect, it } from 'vitest';
import { formatQueueStatus, pendingShards, rowsOf } from '../../../src/cli/render/queue-status.js';
import type { QueueStatus } from '../../../src/queue/status.js';

const status = (o: Partial<QueueStatus>): QueueStatus => ({
  waiting: 0,
  active: 0,
  delayed: 0,
  done: 0,
  failed: 0,
  redelivered: 0,
  urls: 0,
  failedUrls: 0,
  bytes: 0,
  invalid: 0,
  ...o,
});

describe('formatQueueStatus', () => {
  it('counts only, when not on a terminal', () => {
    const s = status({ waiting: 3, active: 2, done: 5, urls: 50000, failedUrls: 2, bytes: 2048 });
    expect(formatQueueStatus(s)).toBe(
      'shards: 3 waiting, 2 active, 0 delayed, 5 done, 0 failed; URLs in done shards: 50000 (2 failed), 2.00 KiB\n',
    );
  });

  it('says how many records in Redis were not understood, when some were', () => {
    expect(formatQueueStatus(status({ done: 1, invalid: 2 }))).toMatch(
      /0 B; 2 records in Redis not understood \(left out\)\n$/,
    );
  });

  it('a bar of the finished shards (done or failed for good) on a terminal, as wide as it allows', () => {
    const s = status({ waiting: 4, active: 1, delayed: 1, done: 3, failed: 1, redelivered: 2 });
    const [counts, bar] = formatQueueStatus(s, 50).split('\n');
    expect(counts).toMatch(/1 failed \(2 handed over from a worker that stopped\);/);
    expect(bar).toBe('[########------------] 40 % of 10 shards');
    expect(formatQueueStatus(status({}), 200).split('\n')[1]).toBe(`[${'#'.repeat(50)}] 100 % of 0 shards`);
    expect(pendingShards(s)).toBe(6);
    expect(formatQueueStatus(status({ waiting: 1 }), 50).split('\n')[1]).toMatch(/ 0 % of 1 shard$/);
  });

  it('counts the rows a status takes on a terminal, long lines wrapped (written over in place by --watch)', () => {
    const s = status({ waiting: 6, active: 1, done: 1, urls: 250, bytes: 4_100_000 });
    const text = formatQueueStatus(s, 100);
    // The counts line is 103 characters: two rows at 100 columns, then the bar.
    expect(text.split('\n')[0]!.length).toBe(103);
    expect(rowsOf(text, 100)).toBe(3);
    expect(rowsOf(text, 120)).toBe(2);
    expect(rowsOf('\n', 80)).toBe(1);
  });
});
