import { UsageError } from '../errors.js';
import { EXIT } from '../report/summary.js';
import type { ShardResult } from '../queue/job-data.js';
import { addList, type RedisOptions } from '../queue/queue.js';

type AddOptions = Parameters<typeof addList>[1];
import { queueResults, queueStatus } from '../queue/status.js';
import { runWorker } from '../queue/worker.js';
import { toDownloadOptions } from './get.js';
import { count } from './format.js';
import { JsonDocument } from './render/json-doc.js';
import { formatQueueStatus, pendingShards, rowsOf } from './render/queue-status.js';
import { safeJson, safeText } from './render/safe-text.js';
import { WorkerRenderer } from './render/worker.js';
import { onInterrupt } from './signals.js';
import { type QueueArgs, queueCommand, WATCH_INTERVAL_MS } from './commands/queue.js';
import { REDIS_OPTIONS } from './commands/redis.js';
import { type WorkerArgs, workerCommand } from './commands/worker.js';
import { optionOf } from './command.js';
import { fromArgv, libraryOptions } from './from-argv.js';

/** Where Redis is, as the library takes it. */
function redisOptions(a: QueueArgs | WorkerArgs): RedisOptions {
  return libraryOptions<RedisOptions>(REDIS_OPTIONS, a);
}

/** Text lines for the terminal, each through the one sanitiser (what Redis holds is anyone's writing). */
function safeLines(text: string): string {
  return text
    .split('\n')
    .map((l) => safeText(l))
    .join('\n');
}

/**
 * A failed URL of a shard's result, as get's failure line says it as far as the result knows: its line in the
 * list, and the URL when the message does not already name it (the list's name and the file's are not kept).
 */
function resultFailureLine(f: ShardResult['failed'][number]): string {
  const url = f.message.includes(f.url) ? '' : ` ${f.url}`;
  return safeText(`FAILED      line ${f.line}${url}: ${f.message} [${f.code}]`);
}

/** `dlpool queue add LIST | status | results`. */
export async function runQueue(a: QueueArgs): Promise<void> {
  // status waits between looks and stops there; add and results have nothing to finish that a signal could
  // spare (each job is added whole or not at all), so they end on the first one.
  const interrupt = onInterrupt(a.action !== 'status');
  try {
    await queueAction(a, interrupt.signal);
  } finally {
    interrupt.close();
  }
  process.exitCode = interrupt.exitCode() ?? process.exitCode;
}

async function queueAction(a: QueueArgs, signal: AbortSignal): Promise<void> {
  const base = redisOptions(a);
  if (a.action === 'add') {
    const r = await addList(a.list ?? '', libraryOptions<AddOptions>(queueCommand.options, a));
    process.stdout.write(
      a.json
        ? `${safeJson(JSON.stringify(r))}\n`
        : `${safeText(
            `dlpool queue: ${count(r.shards, 'shard')} of ${a.list}, ${r.added} added` +
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
      if (!a.watch || pendingShards(s) === 0 || signal.aborted) return;
      await new Promise((resolve) => {
        const t = setTimeout(resolve, WATCH_INTERVAL_MS);
        signal.addEventListener('abort', () => resolve(clearTimeout(t)), { once: true });
      });
      if (signal.aborted) return;
    }
  }
  // results: the merged manifest on stdout, then the failed URLs on stderr (as dlpool merge); or one JSON
  // document of the shards' results and their totals (schemas/queue-results.schema.json).
  const { results, invalid } = await queueResults(base);
  const totals = { shards: 0, entries: 0, downloaded: 0, skipped: 0, failed: 0, bytes: 0 };
  const doc = a.json ? new JsonDocument(process.stdout) : undefined;
  for (const r of results) {
    totals.shards++;
    totals.entries += r.count;
    totals.downloaded += r.downloaded;
    totals.skipped += r.skipped;
    totals.failed += r.failed.length;
    totals.bytes += r.bytes;
    if (doc) {
      doc.result(r);
      continue;
    }
    process.stdout.write(safeLines(r.sums));
    for (const f of r.failed) process.stderr.write(`${resultFailureLine(f)}\n`);
  }
  for (const bad of invalid) {
    process.stderr.write(
      `${safeText(`dlpool queue: ${bad.field} is not a result a worker writes (${bad.reason}): left out`)}\n`,
    );
  }
  if (doc) doc.finish({ ...totals, invalid: invalid.length });
  else
    process.stderr.write(
      `dlpool queue: ${count(totals.shards, 'shard')} done, ${count(totals.failed, 'failed URL')}\n`,
    );
  process.exitCode = totals.failed > 0 || invalid.length > 0 ? EXIT.FAILED : EXIT.OK;
}

/** `dlpool worker`: runs shards of the queue through the engine until stopped (or drained with --drain). */
export async function runWorkerCommand(a: WorkerArgs): Promise<void> {
  if (a['print-config']) {
    process.stdout.write((await import('./config.js')).formatConfig(a));
    return;
  }
  const get = toDownloadOptions(a, false);
  delete get.sources;
  // A worker downloads whole shards into -d: one file's name, or a dry run, would fail every shard it takes.
  if (get.output !== undefined || get.spider) {
    const flag = get.spider ? '--spider' : '--output';
    throw new UsageError(`${flag}: not for a worker, which downloads whole shards of a list into -d`);
  }
  if (get.cookieJar === '-')
    throw new UsageError('--cookie-jar: - is not for a worker, which runs until stopped: give a file');
  const interrupt = onInterrupt();
  const renderer = workerRenderer(a);
  interrupt.beforeExit(() => renderer.stop());
  try {
    const r = await runWorker({
      ...redisOptions(a),
      listRoot: a['list-root'],
      get: { ...get, keepResults: false },
      drain: a.drain ?? false,
      ...(a['shards-at-once'] !== undefined ? { concurrency: a['shards-at-once'] } : {}),
      ...(a.lock !== undefined
        ? { lockMs: fromArgv(optionOf(workerCommand, 'lock'), a.lock) as number }
        : {}),
      signal: interrupt.signal,
      onEvent: (shard, e) => renderer.onEvent(shard, e),
      onShard: (s) => renderer.shardDone(s),
      onShardReturned: (shard, handedBack) =>
        renderer.shardReturned(shard, handedBack, String(interrupt.signal.reason)),
      onShardFailed: (what, message, final) =>
        renderer.note(`dlpool worker: ${what} failed${final ? '' : ' (to be retried)'}: ${message}`),
      onQueueError: (message) => renderer.note(`dlpool worker: queue error (going on): ${message}`),
      onRedisLost: (message) => renderer.note(`dlpool worker: ${message}; retrying until it is back`),
    });
    process.exitCode =
      interrupt.exitCode() ?? (r.failedUrls > 0 || r.failedShards > 0 ? EXIT.FAILED : EXIT.OK);
  } finally {
    renderer.stop();
    interrupt.close();
  }
}

/**
 * get's choices: per-file lines unless -q or --progress none; the progress line only on a terminal (stderr)
 * outside CI, or with --progress bars on any terminal.
 */
function workerRenderer(a: WorkerArgs): WorkerRenderer {
  const mode = a.progress ?? 'auto';
  const stderr = process.stderr as { isTTY?: boolean; columns?: number };
  const terminal = stderr.isTTY === true;
  const line = mode === 'bars' ? terminal : mode === 'auto' && terminal && !process.env['CI'];
  return new WorkerRenderer(
    { out: process.stdout, err: process.stderr, columns: line ? stderr.columns || 80 : undefined },
    a.quiet ?? false,
    mode !== 'none',
    a.dir ?? '',
  );
}
