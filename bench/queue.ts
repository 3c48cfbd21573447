import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { median } from '../src/bench/stats.js';
import type { EnvReader } from './lib/env.js';
import { log } from './lib/log.js';
import type { BenchEntry, Harness } from './lib/main.js';
import { DLPOOL_BIN, REPO } from './lib/paths.js';
import { childEnv, findExecutable, freePort, HOST, runTimed, startDlpoolServe } from './lib/processes.js';
import { makeFolders } from '../src/common/make-folders.js';

/**
 * `npm run bench:queue`: queue mode against one process, on the latency workload (I/O-bound): N files of SIZE
 * from a loopback `dlpool serve --latency MS`, downloaded (1) by one `dlpool get LIST -j J` and (2) through a
 * Redis queue (`dlpool queue add` + W `dlpool worker -j J --drain` processes) for each W. Reports wall times,
 * the speed-up of 2 workers over 1, the queue's overhead per shard against the single process, and Redis memory
 * per pending shard. Needs redis-server (started here on a free port, persistence off, stopped at the end).
 */
export interface QueueConfig {
  n: number;
  j: number;
  shard: number;
  latencyMs: number;
  size: string;
  workers: number[];
  runs: number;
  /** worker --shards-at-once, when set. */
  atOnce: number | undefined;
  resultsFile: string;
}

/** Shards of one line each added (not run) to measure Redis memory per pending shard. */
const MEMORY_SHARDS = 2000;
/** `queue add`'s default --shard-size: the overhead is also given against a shard of this many lines. */
const DEFAULT_SHARD = 10_000;

export function readQueueConfig(env: EnvReader): QueueConfig {
  return {
    n: env.int('N', 2000, { min: 1 }),
    j: env.int('J', 16, { min: 1 }),
    shard: env.int('SHARD', 250, { min: 1 }),
    latencyMs: env.int('LATENCY', 40, { min: 1 }),
    size: env.size('SIZE', '16K').text,
    workers: env.ints('WORKERS', [1, 2, 4], { min: 1 }),
    runs: env.int('RUNS', 3, { min: 1 }),
    atOnce: env.optionalInt('AT_ONCE', { min: 1 }),
    resultsFile: env.path('RESULTS', 'bench-results/queue.json', REPO),
  };
}

/** bench-results/queue.json. */
export interface QueueReport {
  date: string;
  n: number;
  size: string;
  latencyMs: number;
  j: number;
  shardSize: number;
  runs: number;
  singleMs: number;
  queue: { workers: number; ms: number }[];
  queueAddMs: number;
  startStopMs: { get: number; worker: number };
  speedupTwoOverOne: number | null;
  shardMs: number;
  overheadPerShardMs: number | null;
  overheadPercentOfShard: number | null;
  overheadPercentOfDefaultShard: number | null;
  redisBytesPerPendingShard: number;
}

/** What the measured medians (ms) say: the per-shard figures of the report. */
export function queueFigures(
  cfg: Pick<QueueConfig, 'n' | 'shard'>,
  m: {
    single: number;
    getFixed: number;
    workerFixed: number;
    one: number | undefined;
    two: number | undefined;
  },
) {
  const shards = Math.ceil(cfg.n / cfg.shard);
  // A shard's own time in one process, and what the queue adds to each shard beyond one worker's start and stop.
  const shardMs = (m.single - m.getFixed) / shards;
  const overheadMs = m.one === undefined ? null : (m.one - m.workerFixed - (m.single - m.getFixed)) / shards;
  return {
    speedupTwoOverOne: m.one !== undefined && m.two !== undefined ? m.one / m.two : null,
    shardMs: Math.round(shardMs),
    overheadPerShardMs: overheadMs === null ? null : Math.round(overheadMs),
    overheadPercentOfShard: overheadMs === null ? null : (overheadMs / shardMs) * 100,
    // The same per-shard cost against a shard of the default size on this workload.
    overheadPercentOfDefaultShard:
      overheadMs === null ? null : (overheadMs / ((shardMs * DEFAULT_SHARD) / cfg.shard)) * 100,
  };
}

class QueueBench {
  readonly #env: NodeJS.ProcessEnv;
  constructor(
    readonly cfg: QueueConfig,
    readonly h: Harness,
    readonly work: string,
    readonly redisUrl: string,
  ) {
    this.#env = childEnv(h.env, { CI: 'true' });
  }

  /** `dlpool ARGS` to its end: wall ms; a failure ends the bench with its output. */
  async dlpool(args: string[], what: string): Promise<number> {
    const r = await runTimed(this.h.scope, [process.execPath, DLPOOL_BIN, ...args], {
      env: this.#env,
      measure: false,
    });
    if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code ?? r.signal}):\n${r.output}`);
    return r.wallS * 1000;
  }

  /** `dlpool get` of LIST into a fresh folder: its wall time. */
  get(list: string, tag: string): Promise<number> {
    const args = [
      'get',
      list,
      '-d',
      path.join(this.work, tag),
      '-j',
      String(this.cfg.j),
      '-q',
      '--progress',
      'none',
    ];
    return this.dlpool(args, 'dlpool get');
  }

  /** An empty --drain worker on a queue of its own: what starting and stopping a worker costs. */
  emptyWorker(tag: string): Promise<number> {
    const args = [
      'worker',
      '--redis',
      this.redisUrl,
      '--queue',
      tag,
      '--list-root',
      this.work,
      '-d',
      path.join(this.work, tag),
      '--drain',
      '-q',
    ];
    return this.dlpool(args, 'an empty worker');
  }

  /** Adds LIST to a queue of its own and runs W workers with --drain: the add's and the workers' wall times. */
  async viaQueue(list: string, w: number, tag: string): Promise<{ addMs: number; ms: number; out: string }> {
    const queue = `bench-${tag}`;
    const out = path.join(this.work, tag);
    const add = [
      'queue',
      'add',
      list,
      '--redis',
      this.redisUrl,
      '--queue',
      queue,
      '--shard-size',
      String(this.cfg.shard),
    ];
    const addMs = await this.dlpool(add, 'queue add');
    const worker = [
      'worker',
      '--redis',
      this.redisUrl,
      '--queue',
      queue,
      '--list-root',
      path.dirname(list),
      '-d',
      out,
      '-j',
      String(this.cfg.j),
    ];
    worker.push('--drain', '-q', ...(this.cfg.atOnce ? ['--shards-at-once', String(this.cfg.atOnce)] : []));
    const started = performance.now();
    await Promise.all(Array.from({ length: w }, () => this.dlpool(worker, 'a worker')));
    return { addMs, ms: performance.now() - started, out };
  }
}

export const queueEntry: BenchEntry<QueueConfig> = {
  name: 'bench:queue',
  configure: readQueueConfig,
  async run(cfg, h) {
    const redisBin = findExecutable(h.env, 'redis-server');
    if (!redisBin) throw new Error('needs redis-server (apt-get install redis-server)');
    const work = h.scope.tempDir('dlpool-bench-queue-');
    const port = await freePort();
    const redisArgs = ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no'];
    h.scope.spawn(redisBin, redisArgs, { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 300));
    const server = await startDlpoolServe(h.scope, {
      args: ['--latency', String(cfg.latencyMs)],
      env: h.env,
    });
    const base = server.url;
    const list = path.join(work, 'list.txt');
    fs.writeFileSync(
      list,
      Array.from({ length: cfg.n }, (_, i) => `${base}gen/${cfg.size}/q${i}.bin\n`).join(''),
    );
    log(
      `${cfg.n} x ${cfg.size}, ${cfg.latencyMs} ms per response, -j ${cfg.j}, shards of ${cfg.shard}: ` +
        `${Math.ceil(cfg.n / cfg.shard)} shards`,
    );
    const b = new QueueBench(cfg, h, work, `redis://${HOST}:${port}`);

    // What starting and stopping costs, without a shard: a get of a list with no URL, a worker on an empty queue.
    const emptyList = path.join(work, 'empty.txt');
    fs.writeFileSync(emptyList, '# nothing\n');
    const fixedGet: number[] = [];
    const fixedWorker: number[] = [];
    for (let i = 0; i < cfg.runs; i++) {
      fixedGet.push(await b.get(emptyList, `empty-get-${i}`));
      fixedWorker.push(await b.emptyWorker(`empty-${i}`));
    }
    const getFixed = median(fixedGet)!;
    const workerFixed = median(fixedWorker)!;
    log(
      `start and stop: dlpool get ${getFixed.toFixed(0)} ms, dlpool worker --drain ${workerFixed.toFixed(0)} ms`,
    );

    const singles: number[] = [];
    const byWorkers = new Map(cfg.workers.map((w) => [w, [] as number[]]));
    const adds: number[] = [];
    // Interleaved, so a slower minute of this shared machine does not land on one configuration.
    for (let i = 0; i < cfg.runs; i++) {
      singles.push(await b.get(list, `single-${i}`));
      for (const w of cfg.workers) {
        const r = await b.viaQueue(list, w, `q${w}-${i}`);
        const files = fs.readdirSync(r.out).filter((f) => !f.startsWith('.')).length;
        if (files !== cfg.n) throw new Error(`${w} workers left ${files} files, not ${cfg.n}`);
        byWorkers.get(w)!.push(r.ms);
        adds.push(r.addMs);
      }
      log(
        `run ${i + 1}/${cfg.runs}: one process ${(singles.at(-1)! / 1000).toFixed(2)} s; ` +
          cfg.workers
            .map((w) => `${w} worker(s) ${(byWorkers.get(w)!.at(-1)! / 1000).toFixed(2)} s`)
            .join(', '),
      );
    }
    const single = median(singles)!;
    const rows = cfg.workers.map((w) => ({ workers: w, ms: median(byWorkers.get(w)!)! }));

    // Redis memory per pending shard: a list of one-line shards added, nothing run.
    const memList = path.join(work, 'mem.txt');
    fs.writeFileSync(
      memList,
      Array.from({ length: MEMORY_SHARDS }, (_, i) => `${base}gen/1/m${i}\n`).join(''),
    );
    const before = redisMemory(port);
    await b.dlpool(
      ['queue', 'add', memList, '--redis', b.redisUrl, '--queue', 'memory', '--shard-size', '1'],
      'queue add',
    );
    const perShard = (redisMemory(port) - before) / MEMORY_SHARDS;

    const report: QueueReport = {
      date: new Date().toISOString(),
      n: cfg.n,
      size: cfg.size,
      latencyMs: cfg.latencyMs,
      j: cfg.j,
      shardSize: cfg.shard,
      runs: cfg.runs,
      singleMs: Math.round(single),
      queue: rows.map((r) => ({ workers: r.workers, ms: Math.round(r.ms) })),
      queueAddMs: Math.round(median(adds)!),
      startStopMs: { get: Math.round(getFixed), worker: Math.round(workerFixed) },
      ...queueFigures(cfg, {
        single,
        getFixed,
        workerFixed,
        one: rows.find((r) => r.workers === 1)?.ms,
        two: rows.find((r) => r.workers === 2)?.ms,
      }),
      redisBytesPerPendingShard: Math.round(perShard),
    };
    makeFolders(path.dirname(cfg.resultsFile));
    fs.writeFileSync(cfg.resultsFile, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(renderQueue(report));
    return 0;
  },
};

function redisMemory(port: number): number {
  const info = execFileSync('redis-cli', ['-p', String(port), 'info', 'memory'], { encoding: 'utf8' });
  return Number(/used_memory:(\d+)/.exec(info)?.[1]);
}

export function renderQueue(r: QueueReport): string {
  const f2 = (x: number | null) => (x === null ? 'n/a' : x.toFixed(2));
  return (
    `| run (median of ${r.runs}) | wall s |\n|---|---:|\n| one dlpool get | ${(r.singleMs / 1000).toFixed(2)} |\n` +
    r.queue.map((q) => `| queue, ${q.workers} worker(s) | ${(q.ms / 1000).toFixed(2)} |`).join('\n') +
    `\n\nstart and stop: dlpool get ${r.startStopMs.get} ms, dlpool worker --drain on an empty queue ` +
    `${r.startStopMs.worker} ms; queue add ${r.queueAddMs} ms\n` +
    `2 workers / 1: ${f2(r.speedupTwoOverOne)}x (target >= 1.8)\n` +
    `queue overhead per shard: ${r.overheadPerShardMs} ms, ${f2(r.overheadPercentOfShard)} % of a ` +
    `${r.shardSize}-line shard (${r.shardMs} ms), ${f2(r.overheadPercentOfDefaultShard)} % of a ` +
    `${DEFAULT_SHARD}-line one (target < 1 %)\n` +
    `Redis per pending shard: ${r.redisBytesPerPendingShard} bytes (target < 2048)\n`
  );
}
