import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { type Job, Queue, UnrecoverableError, WaitingError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { download } from '../download.js';
import { DlpoolError } from '../errors.js';
import { DEFAULT_SHARD_SIZE, type DownloadOptions, normalizeOptions } from '../options.js';
import { createDispatcher, loadCaCertificate } from '../fetch/agent.js';
import { readShard } from '../shards/merge.js';
import { planShards } from '../shards/plan.js';
import type { ShardMarker } from '../shards/shards.js';

/**
 * Queue mode on Redis with BullMQ: `dlpool queue add` puts one job per shard of a list, `dlpool worker` runs
 * shards through the normal engine, `dlpool queue status|results` read the queue from any machine. A shard job
 * holds where the list is and which shard it is, never its URLs; its id comes from the list's hash and the shard
 * number, so adding a list twice adds nothing. A worker that dies has its shard handed to another when its lock
 * expires (BullMQ's stalled-job check); downloads are idempotent (final names only for complete files, present
 * files skipped), so nothing is lost or doubled.
 */
export const DEFAULT_QUEUE = 'dlpool';

export interface ShardJob {
  /** The list file, as the workers reach it (a shared path). */
  list: string;
  /** sha256 of the list's bytes: a worker refuses a list that changed since it was added. */
  listHash: string;
  shard: number;
  /** Shards in the list, and lines per shard. */
  of: number;
  size: number;
  /** Where the shard is in the list: its bytes offset .. end, its first line; the worker reads only these. */
  offset: number;
  end: number;
  firstLine: number;
  /** sha256 of the shard's bytes: a worker refuses a list that changed since it was added. */
  bytes: string;
  /** Names settled at `queue add` for lines whose name an earlier line took (see planShards). */
  names?: Record<number, string>;
}

/** What a finished shard returns (kept in Redis with the job): enough to merge without the workers' disks. */
export interface ShardResult {
  shard: number;
  count: number;
  downloaded: number;
  skipped: number;
  failed: { url: string; line: number; code: string; message: string }[];
  /** The shard's manifest lines (sha256sum format, paths relative to the worker's --dir). */
  sums: string;
  bytes: number;
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

function shardField(listHash: string, shard: number): string {
  return `${listHash.slice(0, 16)}:${String(shard).padStart(9, '0')}`;
}

export interface ShardSummary {
  list: string;
  shard: number;
  count: number;
  failed: number;
  bytes: number;
  /** Times its job was handed to another worker after the one holding it stopped (BullMQ's stalled counter). */
  redelivered: number;
}

export function connect(url: string): Redis {
  // BullMQ's workers block on Redis: no per-command retry limit (it waits for Redis to come back instead).
  return new Redis(url, { maxRetriesPerRequest: null, enableOfflineQueue: true, lazyConnect: false });
}

export async function addList(
  list: string,
  opts: { redis: string; queue?: string; shardSize?: number },
): Promise<{ shards: number; added: number }> {
  const size = opts.shardSize ?? DEFAULT_SHARD_SIZE;
  const file = path.resolve(list);
  let plan;
  try {
    plan = await planShards(file, size);
  } catch (err) {
    throw new DlpoolError('ERR_DL_INPUT', `cannot read list '${list}': ${(err as Error).message}`, {
      cause: err,
    });
  }
  const connection = connect(opts.redis);
  const queue = new Queue<ShardJob, ShardResult>(opts.queue ?? DEFAULT_QUEUE, { connection });
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
                list: file,
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
    connection.disconnect();
  }
}

/**
 * The shard's bytes are those `queue add` planned: a list edited since would be read from offsets that no longer
 * start its lines. Fails the job for good (no retry can help), naming the list and the shard.
 */
async function checkShardBytes(d: ShardJob): Promise<void> {
  const hash = createHash('sha256');
  try {
    if (d.end > d.offset) {
      for await (const chunk of fs.createReadStream(d.list, { start: d.offset, end: d.end - 1 })) {
        hash.update(chunk as Buffer);
      }
    }
  } catch (err) {
    throw new UnrecoverableError(
      `cannot read list '${d.list}' (shard ${d.shard}): ${(err as Error).message}`,
    );
  }
  if (hash.digest('hex') !== d.bytes) {
    throw new UnrecoverableError(
      `list '${d.list}' changed since it was added (shard ${d.shard}, bytes ${d.offset}-${d.end}): ` +
        'add the new list (dlpool queue add)',
    );
  }
}

export interface WorkerOptions {
  redis: string;
  queue?: string;
  /** The get options every shard runs with (dir, -j, checksums, hash pool, ...). */
  get: DownloadOptions;
  /** Exit once nothing waits or runs. */
  drain?: boolean;
  /** Shards at once in this worker. @default 1 */
  concurrency?: number;
  /** How long a shard stays ours without the worker renewing its lock (a dead worker's shard waits this long). */
  lockMs?: number;
  signal?: AbortSignal;
  onShard?: (r: ShardResult) => void;
  /** A shard's job failed (it is retried with backoff unless `final`). */
  onShardFailed?: (shard: number, message: string, final: boolean) => void;
}

/** Runs shards until stopped (or, with `drain`, until the queue has nothing left); resolves with their results. */
export async function runWorker(
  o: WorkerOptions,
): Promise<{ shards: number; failedUrls: number; failedShards: number }> {
  // One connection pool for every shard this worker runs (each shard is a run of its own): no reconnecting to
  // the same hosts, and no new connection's first-answer delay, at every shard.
  const normalized = normalizeOptions(o.get);
  const ca = normalized.caCertificate ? await loadCaCertificate(normalized.caCertificate) : undefined;
  const dispatcher = o.get.dispatcher ?? createDispatcher(normalized, ca);
  const connection = connect(o.redis);
  let shards = 0;
  let failedUrls = 0;
  /** Shards whose job failed for good in this worker (a list changed since it was added, ...). */
  let failedShards = 0;
  const worker = new Worker<ShardJob, ShardResult>(
    o.queue ?? DEFAULT_QUEUE,
    async (job: Job<ShardJob>, token?: string) => {
      const d = job.data;
      await checkShardBytes(d);
      // Only this shard's lines are read (from its byte offset), with the names `queue add` settled for it.
      const summary = await download({
        ...o.get,
        dispatcher,
        sources: [d.list],
        shardSize: d.size,
        shard: {
          index: d.shard,
          count: d.of,
          start: { offset: d.offset, line: d.firstLine },
          ...(d.names ? { names: d.names } : {}),
        },
        ...(o.signal ? { signal: o.signal } : {}),
      });
      if (summary.interrupted) {
        // SIGINT/SIGTERM: the shard goes back to the queue as it was (no attempt spent); another worker, or this
        // one later, finishes it from what is on disk.
        await job.moveToWait(token);
        throw new WaitingError();
      }
      const shardsDir = path.join(path.resolve(o.get.dir ?? '.'), '.dlpool', 'shards');
      // The shard's marker: written by this run, or by an earlier one that finished it; none for a shard of
      // comment lines only.
      const marker = await fsp
        .readFile(path.join(shardsDir, `${d.shard}.done`), 'utf8')
        .then((t) => JSON.parse(t) as ShardMarker)
        .catch(() => ({
          shard: d.shard,
          of: d.of,
          entries: '',
          count: 0,
          downloaded: 0,
          skipped: 0,
          failed: 0,
        }));
      const files =
        marker.count === 0 ? { sums: '', failed: [] } : await readShard(shardsDir, d.shard, marker);
      const failed = files.failed.map(({ url, line, code, message }) => ({ url, line, code, message }));
      const result: ShardResult = {
        shard: d.shard,
        count: marker.count,
        downloaded: marker.downloaded,
        skipped: marker.skipped,
        failed,
        sums: files.sums,
        bytes: summary.bytes,
      };
      const keys = resultKeys(o.queue ?? DEFAULT_QUEUE);
      const field = shardField(d.listHash, d.shard);
      const summaryOf: ShardSummary = {
        list: d.list,
        shard: d.shard,
        count: result.count,
        failed: failed.length,
        bytes: result.bytes,
        redelivered: job.stalledCounter ?? 0,
      };
      // Kept before the job completes (and is removed): a worker that dies in between leaves a job that is
      // redone, and the same fields are written again.
      await connection
        .multi()
        .hset(keys.results, field, JSON.stringify(result))
        .hset(keys.summary, field, JSON.stringify(summaryOf))
        .exec();
      shards++;
      failedUrls += failed.length;
      o.onShard?.(result);
      return result;
    },
    {
      connection,
      concurrency: o.concurrency ?? 1,
      lockDuration: o.lockMs ?? 30_000,
      stalledInterval: Math.max(1000, Math.floor((o.lockMs ?? 30_000) / 2)),
      maxStalledCount: 5,
    },
  );
  worker.on('failed', (job, err) => {
    // (A shard handed back on SIGINT/SIGTERM is no failure.)
    if (!job || err instanceof WaitingError) return;
    const final = err instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
    if (final) failedShards++;
    o.onShardFailed?.(job.data.shard, err.message, final);
  });
  const queueConnection = connect(o.redis);
  const queue = new Queue(o.queue ?? DEFAULT_QUEUE, { connection: queueConnection });
  let drained = false;
  let pollTimer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      worker.on('error', (err) => {
        // Redis away for a while: BullMQ reconnects; only our own failures end the worker.
        if (!/ECONNREFUSED|ECONNRESET|Connection is closed/.test(String(err))) reject(err);
      });
      o.signal?.addEventListener('abort', () => resolve(), { once: true });
      if (o.drain) {
        // Checked at once, whenever this worker finishes a shard or finds nothing to take (BullMQ's 'drained'),
        // and every 500 ms for shards other workers hold (they may finish, or stall and come back). One check at
        // a time, none once drained (a check left running would meet closed connections).
        let checking = false;
        let again = false;
        const check = (): void => {
          if (drained) return;
          if (checking) {
            again = true;
            return;
          }
          checking = true;
          clearTimeout(pollTimer);
          queue
            .getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children')
            .then((c) => {
              if (Object.values(c).every((n) => n === 0)) {
                drained = true;
                resolve();
              }
            })
            .catch(() => {})
            .finally(() => {
              checking = false;
              if (drained) return;
              if (again) {
                again = false;
                check();
              } else pollTimer = setTimeout(check, 500);
            });
        };
        worker.on('drained', check);
        worker.on('completed', check);
        worker.on('failed', check);
        check();
      }
    });
  } finally {
    drained = true;
    clearTimeout(pollTimer);
    await worker.close();
    await queue.close();
    // (Connections given to BullMQ are ours to close.)
    queueConnection.disconnect();
    connection.disconnect();
    if (!o.get.dispatcher) await dispatcher.destroy().catch(() => {});
  }
  return { shards, failedUrls, failedShards };
}
