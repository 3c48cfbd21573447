#!/usr/bin/env node
// npm run bench:queue — queue mode against one process, on the latency workload (I/O-bound): N small files from a
// loopback `dlpool serve --latency MS`, downloaded (1) by one `dlpool get LIST -j J` and (2) through a Redis
// queue (`dlpool queue add` + W `dlpool worker -j J --drain` processes) for each W. Reports wall times, the
// speed-up of 2 workers over 1, the queue's overhead per shard against the single process, and Redis memory per
// pending shard (used_memory before and after adding a list of SHARDS_FOR_MEMORY one-line shards).
//
// Knobs (environment):
//   N=2000 SIZE=16K LATENCY=40   the list: N files of SIZE, each response held back LATENCY ms
//   J=16                         -j of the single process and of each worker
//   SHARD=250                    lines per shard
//   WORKERS=1,2,4                worker counts
//   RUNS=3                       runs of each (medians reported)
//   RESULTS=FILE                 [bench-results/queue.json]
//
// Needs redis-server (Debian's package); started here on a free port with persistence off, stopped at the end.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(REPO, 'bin', 'dlpool.js');
const RESULTS_FILE = path.resolve(REPO, process.env.RESULTS || 'bench-results/queue.json');
const N = intEnv('N', 2000);
const J = intEnv('J', 16);
const SHARD = intEnv('SHARD', 250);
const LATENCY = intEnv('LATENCY', 40);
const SIZE = process.env.SIZE || '16K';
const WORKERS = (process.env.WORKERS || '1,2,4').split(',').map((w) => intEnvValue('WORKERS', w));
const RUNS = intEnv('RUNS', 3);
const MEMORY_SHARDS = 2000;
const DEFAULT_SHARD = 10_000;

function intEnvValue(name, v) {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) die(`${name} must be whole numbers >= 1, got ${v}`);
  return n;
}
function intEnv(name, def) {
  const v = process.env[name];
  return v === undefined || v === '' ? def : intEnvValue(name, v);
}
function die(msg) {
  process.stderr.write(`bench:queue: ${msg}\n`);
  process.exit(2);
}
const log = (m) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${m}\n`);

let redisBin;
try {
  redisBin = execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim();
} catch {
  die('needs redis-server (apt-get install redis-server)');
}

const CHILD_ENV = { ...process.env, NO_PROXY: '127.0.0.1', no_proxy: '127.0.0.1', CI: 'true' };
for (const k of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY']) delete CHILD_ENV[k];
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'dlpool-bench-queue-'));
const children = [];
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  fs.rmSync(work, { recursive: true, force: true });
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

async function freePort() {
  const s = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => s.once('listening', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

/** Runs `dlpool ARGS` to its end; resolves with its wall time, exit code and output. */
function run(args) {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, ...args], {
    env: CHILD_ENV,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return new Promise((resolve) =>
    child.on('close', (code) => resolve({ code, ms: performance.now() - started, out })),
  );
}

async function redisMemory(port) {
  const info = execFileSync('redis-cli', ['-p', String(port), 'info', 'memory'], { encoding: 'utf8' });
  return Number(/used_memory:(\d+)/.exec(info)[1]);
}

const port = await freePort();
const redis = spawn(
  redisBin,
  ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
  {
    stdio: 'ignore',
  },
);
children.push(redis);
const redisUrl = `redis://127.0.0.1:${port}`;
await new Promise((r) => setTimeout(r, 300));

const server = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--latency', String(LATENCY)], {
  env: CHILD_ENV,
  stdio: ['ignore', 'pipe', 'inherit'],
});
children.push(server);
const base = await new Promise((resolve) => {
  let buf = '';
  server.stdout.on('data', (d) => {
    buf += d;
    const m = /dlpool serve: (\S+)/.exec(buf);
    if (m) resolve(m[1]);
  });
});
const list = path.join(work, 'list.txt');
fs.writeFileSync(list, Array.from({ length: N }, (_, i) => `${base}gen/${SIZE}/q${i}.bin`).join('\n') + '\n');
log(
  `${N} x ${SIZE}, ${LATENCY} ms per response, -j ${J}, shards of ${SHARD}: ${Math.ceil(N / SHARD)} shards`,
);

const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

/** `dlpool get` of LIST into a fresh folder: its wall time. */
async function getOnce(listFile, tag) {
  const r = await run([
    'get',
    listFile,
    '-d',
    path.join(work, tag),
    '-j',
    String(J),
    '-q',
    '--progress',
    'none',
  ]);
  if (r.code !== 0) die(`dlpool get failed:\n${r.out}`);
  return r.ms;
}

/** Adds LIST to a queue of its own and runs W workers with --drain: the add's and the workers' wall times. */
async function queueOnce(listFile, w, tag) {
  const queue = `bench-${tag}`;
  const out = path.join(work, tag);
  const added = await run([
    'queue',
    'add',
    listFile,
    '--redis',
    redisUrl,
    '--queue',
    queue,
    '--shard-size',
    String(SHARD),
  ]);
  if (added.code !== 0) die(`queue add failed:\n${added.out}`);
  const started = performance.now();
  const workers = await Promise.all(
    Array.from({ length: w }, () =>
      run([
        'worker',
        '--redis',
        redisUrl,
        '--queue',
        queue,
        '-d',
        out,
        '-j',
        String(J),
        '--drain',
        '-q',
        ...(process.env.AT_ONCE ? ['--shards-at-once', process.env.AT_ONCE] : []),
      ]),
    ),
  );
  const ms = performance.now() - started;
  const bad = workers.find((r) => r.code !== 0);
  if (bad) die(`a worker failed:\n${bad.out}`);
  return { addMs: added.ms, ms, out };
}

// What starting and stopping costs, without a shard: a get of a list with no URL, a worker on an empty queue.
const emptyList = path.join(work, 'empty.txt');
fs.writeFileSync(emptyList, '# nothing\n');
const fixedGet = [];
const fixedWorker = [];
for (let i = 0; i < RUNS; i++) {
  fixedGet.push(await getOnce(emptyList, `empty-get-${i}`));
  const q = `empty-${i}`;
  const r = await run([
    'worker',
    '--redis',
    redisUrl,
    '--queue',
    q,
    '-d',
    path.join(work, q),
    '--drain',
    '-q',
  ]);
  if (r.code !== 0) die(`an empty worker failed:\n${r.out}`);
  fixedWorker.push(r.ms);
}
log(
  `start and stop: dlpool get ${median(fixedGet).toFixed(0)} ms, dlpool worker --drain ${median(fixedWorker).toFixed(0)} ms`,
);

const singles = [];
const byWorkers = new Map(WORKERS.map((w) => [w, []]));
const adds = [];
// Interleaved, so a slower minute of this shared machine does not land on one configuration.
for (let i = 0; i < RUNS; i++) {
  singles.push(await getOnce(list, `single-${i}`));
  for (const w of WORKERS) {
    const r = await queueOnce(list, w, `q${w}-${i}`);
    const files = fs.readdirSync(r.out).filter((f) => !f.startsWith('.')).length;
    if (files !== N) die(`${w} workers left ${files} files, not ${N}`);
    byWorkers.get(w).push(r.ms);
    adds.push(r.addMs);
  }
  log(
    `run ${i + 1}/${RUNS}: one process ${(singles.at(-1) / 1000).toFixed(2)} s; ` +
      WORKERS.map((w) => `${w} worker(s) ${(byWorkers.get(w).at(-1) / 1000).toFixed(2)} s`).join(', '),
  );
}
const single = { ms: median(singles) };
const rows = WORKERS.map((w) => ({ workers: w, ms: median(byWorkers.get(w)) }));

// Redis memory per pending shard: a list of one-line shards added, nothing run.
const memList = path.join(work, 'mem.txt');
fs.writeFileSync(
  memList,
  Array.from({ length: MEMORY_SHARDS }, (_, i) => `${base}gen/1/m${i}`).join('\n') + '\n',
);
const before = await redisMemory(port);
await run(['queue', 'add', memList, '--redis', redisUrl, '--queue', 'memory', '--shard-size', '1']);
const perShard = ((await redisMemory(port)) - before) / MEMORY_SHARDS;

const one = rows.find((r) => r.workers === 1);
const two = rows.find((r) => r.workers === 2);
const shards = Math.ceil(N / SHARD);
const getFixed = median(fixedGet);
const workerFixed = median(fixedWorker);
// A shard's own time in one process, and what the queue adds to each shard beyond one worker's start and stop.
const shardMs = (single.ms - getFixed) / shards;
const overheadMs = one ? (one.ms - workerFixed - (single.ms - getFixed)) / shards : null;
const report = {
  date: new Date().toISOString(),
  n: N,
  size: SIZE,
  latencyMs: LATENCY,
  j: J,
  shardSize: SHARD,
  runs: RUNS,
  singleMs: Math.round(single.ms),
  queue: rows.map((r) => ({ workers: r.workers, ms: Math.round(r.ms) })),
  queueAddMs: Math.round(median(adds)),
  startStopMs: { get: Math.round(getFixed), worker: Math.round(workerFixed) },
  speedupTwoOverOne: one && two ? one.ms / two.ms : null,
  shardMs: Math.round(shardMs),
  overheadPerShardMs: overheadMs === null ? null : Math.round(overheadMs),
  overheadPercentOfShard: overheadMs === null ? null : (overheadMs / shardMs) * 100,
  // The same per-shard cost against a shard of the default size on this workload.
  overheadPercentOfDefaultShard:
    overheadMs === null ? null : (overheadMs / ((shardMs * DEFAULT_SHARD) / SHARD)) * 100,
  redisBytesPerPendingShard: Math.round(perShard),
};
fs.mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
fs.writeFileSync(RESULTS_FILE, `${JSON.stringify(report, null, 2)}\n`);
const f2 = (x) => (x === null ? 'n/a' : x.toFixed(2));
process.stdout.write(
  `| run (median of ${RUNS}) | wall s |\n|---|---:|\n| one dlpool get | ${(single.ms / 1000).toFixed(2)} |\n` +
    rows.map((r) => `| queue, ${r.workers} worker(s) | ${(r.ms / 1000).toFixed(2)} |`).join('\n') +
    `\n\nstart and stop: dlpool get ${report.startStopMs.get} ms, dlpool worker --drain on an empty queue ` +
    `${report.startStopMs.worker} ms; queue add ${report.queueAddMs} ms\n` +
    `2 workers / 1: ${f2(report.speedupTwoOverOne)}x (target >= 1.8)\n` +
    `queue overhead per shard: ${report.overheadPerShardMs} ms, ${f2(report.overheadPercentOfShard)} % of a ` +
    `${SHARD}-line shard (${report.shardMs} ms), ${f2(report.overheadPercentOfDefaultShard)} % of a ` +
    `${DEFAULT_SHARD}-line one (target < 1 %)\n` +
    `Redis per pending shard: ${report.redisBytesPerPendingShard} bytes (target < 2048)\n`,
  // The redis-server and the latency server are children of this process: without an exit (which stops them)
  // it would wait for them for good. Exits once the report is written out (stdout may be a pipe).
  () => process.exit(0),
);
