import { EXIT } from '../report/summary.js';
import { addList } from '../queue/queue.js';
import { queueResults, queueStatus } from '../queue/status.js';
import { runWorker } from '../queue/worker.js';
import { type GetArgs, toDownloadOptions } from './get.js';
import { formatQueueStatus, pendingShards, rowsOf } from './render/queue-status.js';
import { safeJson, safeText } from './render/safe-text.js';

export interface QueueArgs {
  action?: string | undefined;
  list?: string | undefined;
  redis: string;
  'redis-timeout'?: number | undefined;
  queue?: string | undefined;
  'shard-size'?: number | undefined;
  'list-root'?: string | undefined;
  json?: boolean | undefined;
  watch?: boolean | undefined;
}

/** Where Redis is, as the library takes it. */
function redisOptions(a: {
  redis: string;
  'redis-timeout'?: number | undefined;
  queue?: string | undefined;
}) {
  return {
    redis: a.redis,
    ...(a['redis-timeout'] !== undefined ? { redisTimeoutMs: a['redis-timeout'] * 1000 } : {}),
    ...(a.queue !== undefined ? { queue: a.queue } : {}),
  };
}

/** Text lines for the terminal, each through the one sanitiser (what Redis holds is anyone's writing). */
function safeLines(text: string): string {
  return text
    .split('\n')
    .map((l) => safeText(l))
    .join('\n');
}

/** `dlpool queue add LIST | status | results`. */
export async function runQueue(a: QueueArgs): Promise<void> {
  const base = redisOptions(a);
  if (a.action === 'add') {
    const r = await addList(a.list ?? '', {
      ...base,
      ...(a['shard-size'] ? { shardSize: a['shard-size'] } : {}),
      ...(a['list-root'] !== undefined ? { listRoot: a['list-root'] } : {}),
    });
    process.stdout.write(
      a.json
        ? `${safeJson(JSON.stringify(r))}\n`
        : `${safeText(
            `dlpool queue: ${r.shards} shards of ${a.list}, ${r.added} added` +
              `${r.added < r.shards ? ` (${r.shards - r.added} added before)` : ''}`,
          )}\n`,
    );
    return;
  }
  if (a.action === 'status') {
    const bar = process.stdout.isTTY ? process.stdout.columns || 80 : undefined;
    for (let shown = 0; ;) {
      const s = await queueStatus(base);
      const text = a.json ? `${safeJson(JSON.stringify(s))}\n` : safeLines(formatQueueStatus(s, bar));
      // --watch on a terminal: the previous status is overwritten in place.
      if (shown > 0 && bar !== undefined && !a.json) process.stdout.write(`\x1b[${shown}F\x1b[J`);
      process.stdout.write(text);
      shown = bar === undefined ? 0 : rowsOf(text, bar);
      if (!a.watch || pendingShards(s) === 0) return;
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
  // results: the merged manifest on stdout, then the failed URLs on stderr (as dlpool merge).
  const { results, invalid } = await queueResults(base);
  let failed = 0;
  if (a.json) process.stdout.write(`${safeJson(JSON.stringify(results))}\n`);
  for (const r of results) {
    if (!a.json) process.stdout.write(safeLines(r.sums));
    for (const f of r.failed) {
      failed++;
      if (!a.json)
        process.stderr.write(
          `${safeText(`FAILED      ${f.url} [${f.code}] (line ${f.line}): ${f.message}`)}\n`,
        );
    }
  }
  for (const bad of invalid) {
    process.stderr.write(
      `${safeText(`dlpool queue: ${bad.field} is not a result a worker writes (${bad.reason}): left out`)}\n`,
    );
  }
  if (!a.json) process.stderr.write(`dlpool queue: ${results.length} shards done, ${failed} failed URLs\n`);
  process.exitCode = failed > 0 || invalid.length > 0 ? EXIT.FAILED : EXIT.OK;
}

export interface WorkerArgs extends GetArgs {
  redis: string;
  'redis-timeout'?: number | undefined;
  'list-root': string;
  queue?: string | undefined;
  drain?: boolean | undefined;
  lock?: number | undefined;
  'shards-at-once'?: number | undefined;
}

/** `dlpool worker`: runs shards of the queue through the engine until stopped (or drained with --drain). */
export async function runWorkerCommand(a: WorkerArgs): Promise<void> {
  const get = toDownloadOptions(a, false);
  delete get.sources;
  const controller = new AbortController();
  const stop = (sig: string) => controller.abort(sig);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const r = await runWorker({
      ...redisOptions(a),
      listRoot: a['list-root'],
      get: { ...get, keepResults: false },
      drain: a.drain ?? false,
      ...(a['shards-at-once'] !== undefined ? { concurrency: a['shards-at-once'] } : {}),
      ...(a.lock !== undefined ? { lockMs: Math.round(a.lock * 1000) } : {}),
      signal: controller.signal,
      onShardFailed: (what, message, final) => {
        process.stderr.write(
          `${safeText(`dlpool worker: ${what} failed${final ? '' : ' (to be retried)'}: ${message}`)}\n`,
        );
      },
      onQueueError: (message) => {
        process.stderr.write(`${safeText(`dlpool worker: queue error (going on): ${message}`)}\n`);
      },
      onRedisLost: (message) => {
        process.stderr.write(`${safeText(`dlpool worker: ${message}; retrying until it is back`)}\n`);
      },
      onShard: (s) => {
        if (!a.quiet) {
          process.stdout.write(
            `${safeText(
              `shard ${s.shard}: ${s.count} entries, ${s.downloaded} downloaded, ${s.skipped} skipped, ${s.failed.length} failed`,
            )}\n`,
          );
        }
      },
    });
    process.exitCode = controller.signal.aborted
      ? controller.signal.reason === 'SIGTERM'
        ? EXIT.SIGTERM
        : EXIT.SIGINT
      : r.failedUrls > 0 || r.failedShards > 0
        ? EXIT.FAILED
        : EXIT.OK;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
