#!/usr/bin/env node
// npm run bench:hash — sha256 of 8 x 64 MiB files (page cache warm): dlpool verify with each hash pool at
// 1..N workers, against coreutils `sha256sum -c` and `xargs -P N sha256sum`, in the same run.
// Knobs: RUNS (default 3), FILES (8), SIZE_MIB (64), MAX_WORKERS (default: cores, at least 2).
import { execFileSync, spawnSync } from 'node:child_process';
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
    }
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
  process.stdout.write(`${out}\n`);
  fs.mkdirSync(path.join(root, 'bench-results'), { recursive: true });
  fs.writeFileSync(
    path.join(root, 'bench-results', 'hash.json'),
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cores, files: FILES, bytes: FILES * SIZE, runs: RUNS, rows }, null, 2)}\n`,
  );
  if (rows.some((r) => !r.ok.startsWith(String(RUNS)))) process.exitCode = 1;
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
