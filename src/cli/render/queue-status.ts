import type { QueueStatus } from '../../queue/status.js';
import { count, formatBytes } from '../format.js';

/** Shards not finished yet: waiting, running, or waiting for a retry. */
export function pendingShards(s: QueueStatus): number {
  return s.waiting + s.active + s.delayed;
}

/**
 * `dlpool queue status` as text: the counts, and on a terminal (`barWidth`) a bar of the shards finished (done
 * or failed for good) over all the queue has seen.
 */
export function formatQueueStatus(s: QueueStatus, barWidth?: number): string {
  const counts =
    `shards: ${s.waiting} waiting, ${s.active} active, ${s.delayed} delayed, ${s.done} done, ${s.failed} failed` +
    `${s.redelivered > 0 ? ` (${s.redelivered} handed over from a worker that stopped)` : ''}; ` +
    `URLs in done shards: ${s.urls} (${s.failedUrls} failed), ${formatBytes(s.bytes)}` +
    `${s.invalid > 0 ? `; ${s.invalid} record${s.invalid === 1 ? '' : 's'} in Redis not understood (left out)` : ''}\n`;
  if (barWidth === undefined) return counts;
  const finished = s.done + s.failed;
  const total = finished + pendingShards(s);
  const share = total === 0 ? 1 : finished / total;
  const width = Math.max(10, Math.min(50, barWidth - 30));
  const full = Math.round(share * width);
  const bar = `[${'#'.repeat(full)}${'-'.repeat(width - full)}]`;
  return `${counts}${bar} ${Math.floor(share * 100)} % of ${count(total, 'shard')}\n`;
}

/** Terminal rows `text` takes at `columns` wide (a long line wraps): how far up to go to write over it. */
export function rowsOf(text: string, columns: number): number {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.reduce((n, l) => n + Math.max(1, Math.ceil(l.length / columns)), 0);
}
