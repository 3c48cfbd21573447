import fsp from 'node:fs/promises';
import path from 'node:path';
import { Queue } from 'bullmq';
import { DlpoolError } from '../errors.js';
import { reasonOf } from '../errno-text.js';
import { DEFAULT_SHARD_SIZE } from '../options.js';
import { planShards } from '../shards/plan.js';
import { MAX_SHARD_BYTES, type ShardJob, type ShardResult } from './job-data.js';
import { inside, trustedRoot } from './list-bytes.js';
import { redisTarget, withRedis } from './redis.js';
import { DEFAULT_QUEUE } from './queue-values.js';
import { int } from '../option-values.js';
import { DOWNLOAD_RANGES } from '../download-options.js';

/**
 * Queue mode on Redis with BullMQ: `dlpool queue add` puts one job per shard of a list, `dlpool worker` runs
 * shards through the normal engine, `dlpool queue status|results` read the queue from any machine. A shard job
 * holds where the list is and which shard it is, never its URLs; its id comes from the list's hash and the shard
 * number, so adding a list twice adds nothing. A worker that dies has its shard handed to another when its lock
 * expires (BullMQ's stalled-job check); downloads are idempotent (final names only for complete files, present
 * files skipped), so nothing is lost or doubled.
 */
export { DEFAULT_QUEUE };

export type { ShardJob, ShardResult, ShardSummary } from './job-data.js';

/** Where Redis is: `redis://[user:password@]host[:port][/db]`, and how long to wait for it. */
export interface RedisOptions {
  redis: string;
  /** How long to wait for Redis to answer before giving up (ERR_DL_REDIS). @default 10000 */
  redisTimeoutMs?: number | undefined;
  queue?: string | undefined;
}

/**
 * Where finished shards are kept once their jobs are removed (finished jobs are trimmed, so Redis holds only what
 * is pending plus these): per queue, a hash of each shard's totals (small; `status` reads it) and a hash of its
 * results with the manifest lines (`results` reads it). Field: the list's hash, then the shard number padded, so
 * fields sort in list order.
 */
export function resultKeys(queue: string): { summary: string; results: string } {
  return { summary: `dlpool:${queue}:shard-summary`, results: `dlpool:${queue}:shard-results` };
}

export function shardField(listHash: string, shard: number): string {
  return `${listHash.slice(0, 16)}:${String(shard).padStart(9, '0')}`;
}

/**
 * Adds one job per shard of `list` (shards already finished are not added again). The job holds the list's
 * absolute path, which every worker must reach under its --list-root; with `listRoot`, its path relative to that
 * folder (links resolved), which each worker resolves under its own --list-root (one share mounted at different
 * paths).
 */
export async function addList(
  list: string,
  opts: RedisOptions & { shardSize?: number | undefined; listRoot?: string | undefined },
): Promise<{ shards: number; added: number }> {
  const target = redisTarget(opts.redis, opts.redisTimeoutMs);
  const size = int('shardSize', opts.shardSize, DEFAULT_SHARD_SIZE, DOWNLOAD_RANGES.shardSize);
  const file = path.resolve(list);
  const recorded = opts.listRoot === undefined ? file : await relativeTo(opts.listRoot, file, list);
  let plan;
  try {
    plan = await planShards(file, size);
  } catch (err) {
    throw new DlpoolError('ERR_DL_INPUT', `cannot read list '${list}': ${reasonOf(err)}`, {
      cause: err,
    });
  }
  const big = plan.shards.findIndex((s) => s.end - s.offset > MAX_SHARD_BYTES);
  if (big >= 0) {
    throw new DlpoolError(
      'ERR_DL_INPUT',
      `list '${list}': shard ${big} is more than ${MAX_SHARD_BYTES / 2 ** 20} MiB, more than a worker reads ` +
        'into memory: use a smaller --shard-size',
    );
  }
  return withRedis(target, async (connection) => {
    const queue = new Queue<ShardJob, ShardResult>(opts.queue ?? DEFAULT_QUEUE, { connection });
    // (BullMQ prints errors nobody listens to; withRedis reports the command that failed.)
    queue.on('error', () => {});
    try {
      const all = async () =>
        Object.values(
          await queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized'),
        ).reduce((a, b) => a + b, 0);
      const before = await all();
      // Finished shards' jobs are gone (trimmed), their results kept: those shards are not added again.
      const keys = resultKeys(opts.queue ?? DEFAULT_QUEUE);
      const fields = plan.shards.map((_, shard) => shardField(plan.hash, shard));
      const finished = new Set<number>();
      for (let i = 0; i < fields.length; i += 1000) {
        const got = await connection.hmget(keys.summary, ...fields.slice(i, i + 1000));
        got.forEach((v, j) => v !== null && finished.add(i + j));
      }
      const jobs = plan.shards.flatMap((s, shard) =>
        finished.has(shard)
          ? []
          : [
              {
                name: 'shard',
                data: {
                  list: recorded,
                  listHash: plan.hash,
                  shard,
                  of: plan.shards.length,
                  size,
                  offset: s.offset,
                  end: s.end,
                  firstLine: s.firstLine,
                  bytes: s.bytes,
                  ...(s.names ? { names: s.names } : {}),
                },
                opts: {
                  jobId: `${plan.hash.slice(0, 16)}-${shard}`,
                  attempts: 5,
                  backoff: { type: 'exponential', delay: 1000 },
                  // Redis keeps what is pending; finished shards live on in the result hashes.
                  removeOnComplete: true,
                  removeOnFail: { count: 10_000 },
                },
              },
            ],
      );
      for (let i = 0; i < jobs.length; i += 1000) await queue.addBulk(jobs.slice(i, i + 1000));
      return { shards: plan.shards.length, added: (await all()) - before };
    } finally {
      await queue.close();
    }
  });
}

/** `file` relative to `root`, both with links resolved, or ERR_DL_INPUT when it is not below it. */
async function relativeTo(root: string, file: string, shown: string): Promise<string> {
  let real: { root: string; file: string };
  try {
    real = { root: await trustedRoot(root), file: await fsp.realpath(file) };
  } catch (err) {
    throw new DlpoolError(
      'ERR_DL_INPUT',
      `cannot resolve list '${shown}' under --list-root '${root}': ${reasonOf(err)}`,
    );
  }
  if (!inside(real.root, real.file)) {
    throw new DlpoolError('ERR_DL_INPUT', `list '${shown}' is not under --list-root '${root}'`);
  }
  return path.relative(real.root, real.file);
}
