import fsp from 'node:fs/promises';
import path from 'node:path';
import { type Job, type JobJson, Queue, UnrecoverableError, WaitingError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { download } from '../download.js';
import { DlpoolError } from '../errors.js';
import type { DownloadEvent } from '../events.js';
import { makeFolders } from '../common/make-folders.js';
import { type DownloadOptions, normalizeOptions } from '../options.js';
import { insecureWarning, loadCaCertificate } from '../transport/settings.js';
import { withinOpenFiles } from '../policy/open-files.js';
import { runTransport } from '../policy/run-state.js';
import { readShard } from '../shards/merge.js';
import { readMarker } from '../shards/marker.js';
import type { ShardMarker } from '../shards/shards.js';
import {
  BadRecord,
  checkShardJob,
  DEFAULT_LOCK_MS,
  type ShardResult,
  type ShardSummary,
} from './job-data.js';
import { readShardBytes, trustedRoot } from './list-bytes.js';
import { DEFAULT_QUEUE, type RedisOptions, resultKeys, shardField } from './queue.js';
import { QUEUE_RANGES } from './queue-values.js';
import { int } from '../option-values.js';
import { openRedis, type RedisTarget, redisReason, redisTarget, watchOutages } from './redis.js';
import { OWN_DIR, SHARDS } from '../store/layout.js';

export interface WorkerOptions extends RedisOptions {
  /**
   * The folder whose lists this worker reads (a job's list is resolved, links included, and must be a regular
   * file below it): a job naming any other file fails for good. Whoever can write to the Redis chooses the jobs.
   */
  listRoot: string;
  /** The get options every shard runs with (dir, -j, checksums, hash pool, ...). */
  get: DownloadOptions;
  /** Exit once nothing waits or runs. */
  drain?: boolean;
  /** Shards at once in this worker. @default 1 */
  concurrency?: number;
  /** How long a shard stays ours without the worker renewing its lock. @default DEFAULT_LOCK_MS (30 s) */
  lockMs?: number;
  signal?: AbortSignal;
  /** The events of each shard's run (as download()'s onEvent), with the shard's number; 0 for the worker's own warnings. */
  onEvent?: (shard: number, event: DownloadEvent) => void;
  onShard?: (r: ShardResult) => void;
  /**
   * A shard stopped by the signal: handed back to the queue as it was (`handedBack`), or, with Redis away, left
   * taken until its lock expires. Either way another worker finishes it from what is on disk.
   */
  onShardReturned?: (shard: number, handedBack: boolean) => void;
  /**
   * A job failed (it is retried with backoff unless `final`). `what` is `shard N`, or `job 'ID'` when its data
   * was refused; the message is one line, the job's text not escaped.
   */
  onShardFailed?: (what: string, message: string, final: boolean) => void;
  /** BullMQ failed on something it read from Redis (said once per message); the worker goes on. */
  onQueueError?: (message: string) => void;
  /** The connection to Redis was lost (said once per outage: `lost Redis at URL: reason`); it is retried. */
  onRedisLost?: (message: string) => void;
}

/**
 * A Worker that takes a job whose data is not JSON as a job with no data, which the shard's checks fail for good.
 * BullMQ's own parse error leaves the job taken and unfinished: it stalls, comes back and fails again, for ever.
 */
class ShardWorker extends Worker<unknown, ShardResult> {
  protected override createJob(data: JobJson, jobId: string): Job<unknown, ShardResult> {
    try {
      return super.createJob(data, jobId);
    } catch {
      return super.createJob({ ...data, data: 'null', opts: {} as JobJson['opts'] }, jobId);
    }
  }
}

/** How the failed line names a job: its shard when that is one, else its id (both from Redis, both escaped later). */
function jobLabel(job: Job): string {
  const shard = (job.data as { shard?: unknown } | undefined)?.shard;
  return typeof shard === 'number' && Number.isSafeInteger(shard)
    ? `shard ${shard}`
    : `job '${String(job.id)}'`;
}

async function within<T>(p: Promise<T>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p.catch(() => {}), new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

/** Runs shards until stopped (or, with `drain`, until the queue has nothing left); resolves with their results. */
export async function runWorker(
  o: WorkerOptions,
): Promise<{ shards: number; failedUrls: number; failedShards: number }> {
  const target = redisTarget(o.redis, o.redisTimeoutMs);
  const shardsAtOnce = int('concurrency', o.concurrency, 1, QUEUE_RANGES.shardsAtOnce);
  const lockMs = int('lockMs', o.lockMs, DEFAULT_LOCK_MS, QUEUE_RANGES.lockMs);
  const root = await trustedRoot(o.listRoot).catch((err: NodeJS.ErrnoException) => {
    throw new DlpoolError(
      'ERR_DL_INPUT',
      `--list-root: cannot use '${o.listRoot}': ${err.code ?? err.message}`,
    );
  });
  if (!(await fsp.stat(root)).isDirectory()) {
    throw new DlpoolError('ERR_DL_INPUT', `--list-root: '${o.listRoot}' is not a directory`);
  }
  // Every shard runs into -d: one that cannot be made would fail each job taken, for good.
  try {
    makeFolders(o.get.dir ?? '.');
  } catch (err) {
    throw new DlpoolError('ERR_DL_INPUT', (err as Error).message, { cause: err });
  }
  const normalized = normalizeOptions(o.get);
  const ca = normalized.caCertificate ? await loadCaCertificate(normalized.caCertificate) : undefined;
  const done = { shards: 0, failedUrls: 0, failedShards: 0 };
  let connection: Redis;
  try {
    connection = await openRedis(target, { persistent: true, signal: o.signal });
  } catch (err) {
    if (o.signal?.aborted) return done;
    throw err;
  }
  const stopWatching = watchOutages(connection, target, (reason) =>
    o.onRedisLost?.(`lost Redis at ${target.shown}: ${reason}`),
  );
  // One connection pool for every shard this worker runs (each shard is a run of its own): no reconnecting to
  // the same hosts, and no new connection's first-answer delay, at every shard. Sized as each shard's run sizes
  // its own (-j fitted to the open-file limit); that run says the warning when -j is lowered.
  const { transport, ownsTransport } = runTransport(withinOpenFiles({ ...normalized, onEvent: () => {} }), {
    ca,
  });
  // Said once by the worker, whose connection pool every shard's run uses (those runs say nothing).
  const insecure = insecureWarning(normalized);
  if (insecure !== undefined) o.onEvent?.(0, { type: 'warning', message: insecure });
  const name = o.queue ?? DEFAULT_QUEUE;
  const worker = new ShardWorker(
    name,
    (job, token) => runShard(job, token, { o, root, target, connection, transport, done }),
    {
      connection,
      concurrency: shardsAtOnce,
      lockDuration: lockMs,
      stalledInterval: Math.max(1000, Math.floor(lockMs / 2)),
      maxStalledCount: 5,
    },
  );
  worker.on('failed', (job, err) => {
    // (A shard handed back on SIGINT/SIGTERM is no failure.)
    if (!job || err instanceof WaitingError) return;
    const final = err instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
    if (final) done.failedShards++;
    o.onShardFailed?.(jobLabel(job), err.message.split('\n')[0]!, final);
  });
  const queue = new Queue(name, { connection });
  queue.on('error', () => {});
  let drained = false;
  let pollTimer: NodeJS.Timeout | undefined;
  try {
    const said = new Set<string>();
    await new Promise<void>((resolve) => {
      worker.on('error', (err) => {
        // Redis away for a while: the connection retries (said once by watchOutages). Anything else BullMQ meets
        // (a job whose options are not JSON, keys someone else wrote) is said once and the worker goes on:
        // whoever can write to the queue cannot stop the workers with one bad job.
        if (connection.status !== 'ready' || /ECONN|ETIMEDOUT|EPIPE|Connection is closed/.test(String(err)))
          return;
        const message = redisReason(err, target);
        if (said.size < 100 && !said.has(message)) {
          said.add(message);
          o.onQueueError?.(message);
        }
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
    stopWatching();
    // BullMQ's close waits for Redis: with Redis away it is forced, and bounded either way (a shard left taken
    // goes back to the queue when its lock expires).
    const up = connection.status === 'ready';
    await within(Promise.all([worker.close(!up), queue.close()]), target.timeoutMs);
    connection.disconnect();
    if (ownsTransport) await transport.destroy().catch(() => {});
  }
  return done;
}

interface ShardContext {
  o: WorkerOptions;
  root: string;
  target: RedisTarget;
  connection: Redis;
  transport: NonNullable<DownloadOptions['transport']>;
  done: { shards: number; failedUrls: number; failedShards: number };
}

/**
 * One job: its data checked (BadRecord fails it for good, as does a list outside the root, not a regular file,
 * or changed since it was added), its bytes read once and parsed as they were checked, the shard run, its result
 * kept in Redis.
 */
async function runShard(job: Job<unknown>, token: string | undefined, c: ShardContext): Promise<ShardResult> {
  const { o, connection } = c;
  let read;
  try {
    const d = checkShardJob(job.data);
    read = { d, ...(await readShardBytes(d, c.root)) };
  } catch (err) {
    if (err instanceof BadRecord) throw new UnrecoverableError(err.message);
    throw err;
  }
  const { d, bytes, file } = read;
  let summary;
  try {
    summary = await download({
      ...o.get,
      transport: c.transport,
      sources: [file],
      shardSize: d.size,
      shard: {
        index: d.shard,
        count: d.of,
        start: { offset: d.offset, line: d.firstLine, bytes },
        ...(d.names ? { names: d.names } : {}),
      },
      ...(o.signal ? { signal: o.signal } : {}),
      ...(o.onEvent ? { onEvent: (e: DownloadEvent) => o.onEvent?.(d.shard, e) } : {}),
    });
  } catch (err) {
    // Options the job's data made (a settled name the rules refuse): no retry can help.
    if (err instanceof DlpoolError && (err.code === 'ERR_DL_USAGE' || err.code === 'ERR_DL_INPUT'))
      throw new UnrecoverableError(err.message);
    throw err;
  }
  if (summary.interrupted) {
    // SIGINT/SIGTERM: the shard goes back to the queue as it was (no attempt spent); another worker, or this
    // one later, finishes it from what is on disk. With Redis away it stays taken until its lock expires.
    let handedBack = false;
    if (connection.status === 'ready')
      await within(
        job.moveToWait(token).then(() => (handedBack = true)),
        c.target.timeoutMs,
      );
    o.onShardReturned?.(d.shard, handedBack);
    throw new WaitingError();
  }
  const shardsDir = path.join(path.resolve(o.get.dir ?? '.'), OWN_DIR, SHARDS);
  // The shard's marker: written by this run, or by an earlier one that finished it; none for a shard of
  // comment lines only. Read as the run reads it (no link, no FIFO, bounded, checked): a bad one fails the job.
  let marker: ShardMarker;
  let files: Awaited<ReturnType<typeof readShard>>;
  try {
    marker = readMarker(shardsDir, d.shard) ?? {
      shard: d.shard,
      of: d.of,
      entries: '',
      count: 0,
      downloaded: 0,
      skipped: 0,
      failed: 0,
    };
    files = marker.count === 0 ? { sums: '', failed: [] } : await readShard(shardsDir, d.shard, marker);
  } catch (err) {
    if (err instanceof DlpoolError) throw new UnrecoverableError(err.message);
    throw err;
  }
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
  c.done.shards++;
  c.done.failedUrls += failed.length;
  o.onShard?.(result);
  return result;
}
