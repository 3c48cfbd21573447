import { Queue } from 'bullmq';
import {
  BadRecord,
  checkShardResult,
  checkShardSummary,
  parseRecord,
  type ShardResult,
  type ShardSummary,
} from './job-data.js';
import { DEFAULT_QUEUE, type RedisOptions, resultKeys } from './queue.js';
import { redisTarget, withRedis } from './redis.js';

/** Reading a queue from any machine that reaches Redis: `dlpool queue status` and `dlpool queue results`. */

export interface QueueStatus {
  waiting: number;
  active: number;
  delayed: number;
  /** Shards finished (whatever became of their URLs). */
  done: number;
  /** Shards failed for good (their data refused, or out of attempts). */
  failed: number;
  /** Shards handed to another worker after theirs stopped renewing its lock (a worker died), over done ones. */
  redelivered: number;
  /** Over done shards. */
  urls: number;
  failedUrls: number;
  bytes: number;
  /** Shard records in Redis that are not what a worker writes (someone else wrote them): left out of the counts. */
  invalid: number;
}

export async function queueStatus(opts: RedisOptions): Promise<QueueStatus> {
  const name = opts.queue ?? DEFAULT_QUEUE;
  return withRedis(redisTarget(opts.redis, opts.redisTimeoutMs), async (connection) => {
    const queue = new Queue(name, { connection });
    queue.on('error', () => {});
    try {
      const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized');
      const status: QueueStatus = {
        waiting: (c.waiting ?? 0) + (c.prioritized ?? 0),
        active: c.active ?? 0,
        delayed: c.delayed ?? 0,
        done: 0,
        failed: c.failed ?? 0,
        redelivered: 0,
        urls: 0,
        failedUrls: 0,
        bytes: 0,
        invalid: 0,
      };
      // The finished shards' totals, read in pages (a hash of 10^5 small entries).
      let cursor = '0';
      do {
        const [next, flat] = await connection.hscan(resultKeys(name).summary, cursor, 'COUNT', 1000);
        cursor = next;
        for (let i = 1; i < flat.length; i += 2) {
          let sm: ShardSummary;
          try {
            sm = parseRecord(flat[i]!, checkShardSummary);
          } catch {
            status.invalid++;
            continue;
          }
          status.done++;
          status.urls += sm.count;
          status.failedUrls += sm.failed;
          status.bytes += sm.bytes;
          status.redelivered += sm.redelivered;
        }
      } while (cursor !== '0');
      return status;
    } finally {
      await queue.close();
    }
  });
}

/** A record of the results hash that is not a result a worker writes: its field and why, never its content. */
export interface InvalidRecord {
  field: string;
  reason: string;
}

/**
 * Every finished shard's result, in list order (by list hash, then shard), each checked as a worker writes it
 * (numbers, texts, manifest lines); the others are `invalid`.
 */
export async function queueResults(
  opts: RedisOptions,
): Promise<{ results: ShardResult[]; invalid: InvalidRecord[] }> {
  return withRedis(redisTarget(opts.redis, opts.redisTimeoutMs), async (connection) => {
    const key = resultKeys(opts.queue ?? DEFAULT_QUEUE).results;
    const fields = (await connection.hkeys(key)).sort();
    const results: ShardResult[] = [];
    const invalid: InvalidRecord[] = [];
    for (let i = 0; i < fields.length; i += 100) {
      const page = fields.slice(i, i + 100);
      const values = await connection.hmget(key, ...page);
      values.forEach((v, j) => {
        if (v === null) return;
        try {
          results.push(parseRecord(v, checkShardResult));
        } catch (err) {
          invalid.push({ field: page[j]!, reason: err instanceof BadRecord ? err.message : String(err) });
        }
      });
    }
    return { results, invalid };
  });
}
