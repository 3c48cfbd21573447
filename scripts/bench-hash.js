#!/usr/bin/env node
// npm run bench:hash — sha256 of 8 x 64 MiB files (page cache warm): dlpool verify and hash with each hash
// pool at 1..N workers, against coreutils `sha256sum -c`, `xargs -P N sha256sum` and the Python seed's
// ProcessPoolExecutor script (../shared/bench/peers/seed_hash_procs.py, when there), in the same run; then
// peak RSS of `verify` and `get -c` with a checksum file of LINES (1,000,000) lines. Prints the issue's
// targets as ratios of this run. `npm run bench:hash` then runs `get --hash` against plain `get` (scripts/bench.js,
// WORKLOADS=big,big-hash, inline and --hash-pool threads).
// Knobs: RUNS (default 3), FILES (8), SIZE_MIB (64), MAX_WORKERS (default: cores, at least 2), LINES,
// BASELINE_BIN (another build's bin/dlpool.js: its verify rows run too, for before/after).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const bin = path.join(root, 'bin', 'dlpool.js');
const RUNS = Number(process.env.RUNS ?? 3);
const FILES = Number(process.env.FILES ?? 8);
const SIZE = Number(process.env.SIZE_MIB ?? 64) * 1024 * 1024;
const cores = os.availableParallelism();
const MAX_WORKERS = Number(process.env.MAX_WORKERS ?? Math.max(2, cores));
const hasTime = fs.existsSync('/usr/bin/time');
const LINES = Number(process.env.LINES ?? 1_000_000);
const BASELINE = process.env.BASELINE_BIN ? path.resolve(process.env.BASELINE_BIN) : undefined;
const SEED = path.join(root, '..', 'shared', 'bench', 'peers', 'seed_hash_procs.py');
const hasSeed = fs.existsSync(SEED) && spawnSync('python3', ['--version']).status === 0;

const log = (m) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${m}\n`);

function makeCorpus(dir) {
  const lines = [];
  const chunk = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < FILES; i++) {
    const name = `h${i}.bin`;
    const hash = crypto.createHash('sha256');
    const fd = fs.openSync(path.join(dir, name), 'w');
    for (let off = 0; off < SIZE; off += chunk.length) {
      crypto.randomFillSync(chunk);
      fs.writeSync(fd, chunk);
      hash.update(chunk);
    }
    fs.closeSync(fd);
    lines.push(`${hash.digest('hex')}  ${name}`);
  }
  fs.writeFileSync(path.join(dir, 'SHA256SUMS'), `${lines.join('\n')}\n`);
}

/** Runs a shell command in `cwd`; wall time from here, CPU from /usr/bin/time when present. */
function timed(cmd, cwd) {
  const tfile = path.join(os.tmpdir(), `dlpool-bench-hash-${process.pid}.time`);
  const argv = hasTime
    ? ['/usr/bin/time', '-f', '%U %S %M', '-o', tfile, 'bash', '-c', cmd]
    : ['bash', '-c', cmd];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  let cpu;
  let rss;
  if (hasTime) {
    const [u, s, m] = fs.readFileSync(tfile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
    cpu = u + s;
    rss = m / 1024;
    fs.rmSync(tfile, { force: true });
  }
  return { ok: r.status === 0, wall, cpu, rss, stderr: String(r.stderr).slice(0, 300) };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * Peak RSS with a checksum file of LINES lines (names of files that are not there): `verify -q` (every line
 * is a result), and `get -c` of one small file from a loopback server, in both modes.
 */
function bigChecksumFile(dir) {
  const sums = path.join(dir, 'BIG.SUMS');
  const fd = fs.openSync(sums, 'w');
  let batch = [];
  for (let i = 0; i < LINES; i++) {
    batch.push(`${crypto.createHash('sha256').update(String(i)).digest('hex')}  d${i % 100}/f${i}.bin\n`);
    if (batch.length === 10_000) {
      fs.writeSync(fd, batch.join(''));
      batch = [];
    }
  }
  fs.writeSync(fd, batch.join(''));
  fs.closeSync(fd);
  // A loopback server in a child process (this script blocks in spawnSync while the commands run); it
  // writes its port to a file.
  const portFile = path.join(dir, 'port');
  const child = spawn(
    process.execPath,
    [
      '-e',
      `require('http').createServer((q,s)=>s.end('x')).listen(0,'127.0.0.1',function(){require('fs').writeFileSync(${JSON.stringify(portFile)},String(this.address().port))})`,
    ],
    { stdio: 'ignore' },
  );
  const until = Date.now() + 10_000;
  while (!fs.existsSync(portFile) && Date.now() < until)
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  const port = Number(fs.readFileSync(portFile, 'utf8'));
  const url = `http://127.0.0.1:${port}/one.bin`;
  const cases = [
    {
      name: `verify -q, ${LINES} lines`,
      cmd: `node ${JSON.stringify(bin)} verify BIG.SUMS -q -w 1 > /dev/null`,
    },
    {
      name: `get -c, ${LINES} lines (async)`,
      cmd: `node ${JSON.stringify(bin)} get ${url} -d out-a -q -c BIG.SUMS`,
    },
    {
      name: `get -c, ${LINES} lines (threads -w 2)`,
      cmd: `node ${JSON.stringify(bin)} get ${url} -d out-t -q -c BIG.SUMS --mode threads -w 2`,
    },
  ];
  const rows = [];
  try {
    for (const c of cases) {
      const r = timed(c.cmd, dir);
      rows.push({ name: c.name, wall: r.wall, rss: r.rss });
      log(`${c.name}: ${r.wall.toFixed(1)} s, ${r.rss?.toFixed(0) ?? '-'} MiB`);
    }
  } finally {
    child.kill();
  }
  const table = [
    `### a checksum file of ${LINES} lines: peak RSS (target < 200 MiB)`,
    '',
    '| command | s | max RSS MiB |',
    '|---|---:|---:|',
    ...rows.map((r) => `| ${r.name} | ${r.wall.toFixed(1)} | ${r.rss?.toFixed(0) ?? '-'} |`),
  ].join('\n');
  return { rows, table };
}

/** The targets, judged from this run's ratios. */
function judge(rows, memory) {
  const row = (name) => rows.find((r) => r.name === name);
  const lines = ['### targets (ratios of this run)', ''];
  const check = (what, value, limit) =>
    lines.push(
      `- ${what}: ${value === undefined ? 'n/a' : value.toFixed(2)} (target <= ${limit}) ${value !== undefined && value <= limit ? 'met' : 'MISSED'}`,
    );
  const seed = row('python seed (1 worker)');
  for (const pool of ['threads', 'processes']) {
    const w1 = row(`dlpool verify --hash-pool ${pool} -w 1`);
    const w2 = row(`dlpool verify --hash-pool ${pool} -w 2`);
    if (seed && w2) check(`verify ${pool} -w 2 / python seed, wall`, w2.wall / seed.wall, 0.7);
    if (w1 && w2) check(`verify ${pool} -w 2 / -w 1, wall`, w2.wall / w1.wall, 0.6);
    if (seed && w1 && seed.cpu && w1.cpu)
      check(`verify ${pool} -w 1 / python seed, CPU`, w1.cpu / seed.cpu, 1.1);
  }
  const h2 = row('dlpool hash --hash-pool threads -w 2');
  const x2 = row('xargs -P 2 sha256sum');
  const v2 = row('dlpool verify --hash-pool threads -w 2');
  if (h2 && x2) check('hash -w 2 / xargs -P 2 sha256sum, wall', h2.wall / x2.wall, 1);
  if (h2 && v2) check('hash -w 2 / verify -w 2, wall', h2.wall / v2.wall, 1);
  for (const m of memory.rows)
    check(`${m.name}: peak RSS / 200 MiB`, m.rss === undefined ? undefined : m.rss / 200, 1);
  return lines;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dlpool-bench-hash-'));
try {
  log(`corpus: ${FILES} x ${SIZE / 1048576} MiB in ${dir}`);
  makeCorpus(dir);
  execFileSync(
    'cat',
    fs.readdirSync(dir).map((f) => path.join(dir, f)),
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const configs = [];
  configs.push({ name: 'sha256sum -c', cmd: 'sha256sum -c --quiet SHA256SUMS' });
  if (hasSeed)
    configs.push({ name: 'python seed (1 worker)', cmd: `python3 ${JSON.stringify(SEED)} -c SHA256SUMS` });
  for (let w = 2; w <= MAX_WORKERS; w++) {
    configs.push({
      name: `xargs -P ${w} sha256sum`,
      cmd: `ls h*.bin | xargs -P ${w} -n 1 sha256sum > /dev/null`,
    });
  }
  configs.push({
    name: 'dlpool verify --hash-pool inline',
    cmd: `node ${JSON.stringify(bin)} verify SHA256SUMS -q --hash-pool inline`,
  });
  for (const pool of ['threads', 'processes']) {
    for (let w = 1; w <= MAX_WORKERS; w++) {
      configs.push({
        name: `dlpool verify --hash-pool ${pool} -w ${w}`,
        cmd: `node ${JSON.stringify(bin)} verify SHA256SUMS -q --hash-pool ${pool} -w ${w}`,
      });
      if (BASELINE) {
        configs.push({
          name: `baseline verify --hash-pool ${pool} -w ${w}`,
          cmd: `node ${JSON.stringify(BASELINE)} verify SHA256SUMS -q --hash-pool ${pool} -w ${w}`,
        });
      }
    }
  }
  for (let w = 1; w <= MAX_WORKERS; w++) {
    configs.push({
      name: `dlpool hash --hash-pool threads -w ${w}`,
      cmd: `node ${JSON.stringify(bin)} hash h*.bin --hash-pool threads -w ${w} > /dev/null`,
    });
  }
  const results = configs.map((c) => ({ ...c, runs: [] }));
  timed(configs[configs.length - 1].cmd, dir); // warm-up
  for (let run = 0; run < RUNS; run++) {
    // Rotate the order each round so drift of a shared machine spreads over all configurations.
    const order = results.map((_, i) => (i + run) % results.length);
    for (const i of order) {
      const r = timed(results[i].cmd, dir);
      results[i].runs.push(r);
      if (!r.ok) log(`FAILED: ${results[i].name}: ${r.stderr}`);
    }
    log(`round ${run + 1}/${RUNS} done`);
  }
  const total = (FILES * SIZE) / 1e9;
  const base = median(results[0].runs.filter((r) => r.ok).map((r) => r.wall));
  const rows = results.map((r) => {
    const ok = r.runs.filter((x) => x.ok);
    const wall = median(ok.map((x) => x.wall));
    return {
      name: r.name,
      ok: `${ok.length}/${r.runs.length}`,
      wall,
      gbps: total / wall,
      speedup: base / wall,
      cpu: hasTime ? median(ok.map((x) => x.cpu)) : undefined,
      rss: hasTime ? Math.max(...ok.map((x) => x.rss)) : undefined,
    };
  });
  const out = [
    `### sha256 of ${FILES} x ${SIZE / 1048576} MiB (page cache warm), ${cores} cores, median of ${RUNS}`,
    '',
    '| command | ok | median s | GB/s | × sha256sum | CPU s | max RSS MiB |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.ok} | ${r.wall.toFixed(3)} | ${r.gbps.toFixed(2)} | ${r.speedup.toFixed(2)} | ${r.cpu?.toFixed(2) ?? '-'} | ${r.rss?.toFixed(0) ?? '-'} |`,
    ),
  ].join('\n');
  const memory = bigChecksumFile(dir);
  const targets = judge(rows, memory);
  process.stdout.write(`${out}\n\n${memory.table}\n\n${targets.join('\n')}\n`);
  fs.mkdirSync(path.join(root, 'bench-results'), { recursive: true });
  fs.writeFileSync(
    path.join(root, 'bench-results', 'hash.json'),
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cores, files: FILES, bytes: FILES * SIZE, runs: RUNS, rows, memory: memory.rows, targets }, null, 2)}\n`,
  );
  if (rows.some((r) => !r.ok.startsWith(String(RUNS)))) process.exitCode = 1;
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
