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
const MEMORY_SHARDS = 2000;

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

const single = await run([
  'get',
  list,
  '-d',
  path.join(work, 'single'),
  '-j',
  String(J),
  '-q',
  '--progress',
  'none',
]);
if (single.code !== 0) die(`single run failed:\n${single.out}`);
log(`one process: ${(single.ms / 1000).toFixed(2)} s`);

const rows = [];
for (const w of WORKERS) {
  const queue = `bench${w}`;
  const out = path.join(work, `queue${w}`);
  const started = performance.now();
  const added = await run([
    'queue',
    'add',
    list,
    '--redis',
    redisUrl,
    '--queue',
    queue,
    '--shard-size',
    String(SHARD),
  ]);
  if (added.code !== 0) die(`queue add failed:\n${added.out}`);
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
  const files = fs.readdirSync(out).filter((f) => !f.startsWith('.')).length;
  if (files !== N) die(`${w} workers left ${files} files, not ${N}`);
  rows.push({ workers: w, ms });
  log(`${w} worker(s): ${(ms / 1000).toFixed(2)} s (${files} files)`);
}

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
const report = {
  date: new Date().toISOString(),
  n: N,
  size: SIZE,
  latencyMs: LATENCY,
  j: J,
  shardSize: SHARD,
  singleMs: Math.round(single.ms),
  queue: rows.map((r) => ({ workers: r.workers, ms: Math.round(r.ms) })),
  speedupTwoOverOne: one && two ? one.ms / two.ms : null,
  // What a shard costs through the queue over the same work in one process (add, hand-out, results, start-up).
  overheadPerShardMs: one ? (one.ms - single.ms) / shards : null,
  redisBytesPerPendingShard: Math.round(perShard),
};
fs.mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
fs.writeFileSync(RESULTS_FILE, `${JSON.stringify(report, null, 2)}\n`);
const pct = one ? ((one.ms - single.ms) / single.ms) * 100 : NaN;
process.stdout.write(
  `| run | wall s |\n|---|---:|\n| one dlpool get | ${(single.ms / 1000).toFixed(2)} |\n` +
    rows.map((r) => `| queue, ${r.workers} worker(s) | ${(r.ms / 1000).toFixed(2)} |`).join('\n') +
    `\n\n2 workers / 1: ${report.speedupTwoOverOne?.toFixed(2)}x (target >= 1.8); ` +
    `queue overhead: ${report.overheadPerShardMs?.toFixed(0)} ms per shard, ${pct.toFixed(1)} % of the run (target < 1 %); ` +
    `Redis per pending shard: ${report.redisBytesPerPendingShard} bytes (target < 2048)\n`,
);
