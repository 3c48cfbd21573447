import { Queue } from 'bullmq';
import {
  connect,
  DEFAULT_QUEUE,
  resultKeys,
  type ShardJob,
  type ShardResult,
  type ShardSummary,
} from './queue.js';

/** Reading a queue from any machine that reaches Redis: `dlpool queue status` and `dlpool queue results`. */

export interface QueueStatus {
  waiting: number;
  active: number;
  delayed: number;
  completed: number;
  failed: number;
  /** Shards handed to another worker after theirs stopped renewing its lock (a worker died), over done ones. */
  redelivered: number;
  /** Over completed shards. */
  urls: number;
  failedUrls: number;
  bytes: number;
}

export async function queueStatus(opts: { redis: string; queue?: string }): Promise<QueueStatus> {
  const connection = connect(opts.redis);
  const name = opts.queue ?? DEFAULT_QUEUE;
  const queue = new Queue<ShardJob, ShardResult>(name, { connection });
  try {
    const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized');
    const status: QueueStatus = {
      waiting: (c.waiting ?? 0) + (c.prioritized ?? 0),
      active: c.active ?? 0,
      delayed: c.delayed ?? 0,
      completed: 0,
      failed: c.failed ?? 0,
      redelivered: 0,
      urls: 0,
      failedUrls: 0,
      bytes: 0,
    };
    // The finished shards' totals, read in pages (a hash of 10^5 small entries).
    let cursor = '0';
    do {
      const [next, flat] = await connection.hscan(resultKeys(name).summary, cursor, 'COUNT', 1000);
      cursor = next;
      for (let i = 1; i < flat.length; i += 2) {
        const sm = JSON.parse(flat[i]!) as ShardSummary;
        status.completed++;
        status.urls += sm.count;
        status.failedUrls += sm.failed;
        status.bytes += sm.bytes;
        status.redelivered += sm.redelivered;
      }
    } while (cursor !== '0');
    return status;
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

/** Every finished shard's result, in list order (by list hash, then shard). */
export async function queueResults(opts: { redis: string; queue?: string }): Promise<ShardResult[]> {
  const connection = connect(opts.redis);
  try {
    const key = resultKeys(opts.queue ?? DEFAULT_QUEUE).results;
    const fields = (await connection.hkeys(key)).sort();
    const out: ShardResult[] = [];
    for (let i = 0; i < fields.length; i += 100) {
      const values = await connection.hmget(key, ...fields.slice(i, i + 100));
      for (const v of values) if (v !== null) out.push(JSON.parse(v) as ShardResult);
    }
    return out;
  } finally {
    connection.disconnect();
  }
}
