#!/usr/bin/env node
// npm run bench:split — one large file through a per-connection rate cap (`dlpool serve --rate`), fetched
// with 1, 4 and 8 connections by dlpool (-x) and by aria2c (-x N -s N) in the same run. Every run writes into
// a fresh directory and is checked against the file's sha256.
// Knobs: SIZE (default 256M), RATE (20M), RUNS (3), XS (1,4,8), ARIA2 (1 to include aria2c when installed).
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const bin = path.join(root, 'bin', 'dlpool.js');
const SIZE = process.env.SIZE ?? '256M';
const RATE = process.env.RATE ?? '20M';
const RUNS = Number(process.env.RUNS ?? 3);
const XS = (process.env.XS ?? '1,4,8').split(',').map(Number);
const hasAria2 = spawnSync('aria2c', ['--version'], { stdio: 'ignore' }).status === 0;
const hasTime = fs.existsSync('/usr/bin/time');
const log = (m) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${m}\n`);

const { parseSize, synthBytes } = await import(path.join(root, 'dist', 'server', 'index.js'));
const bytes = parseSize(SIZE);
const rate = parseSize(RATE);
const urlPath = `/gen/${SIZE}/big.bin`;

function expectedDigest() {
  const h = crypto.createHash('sha256');
  const step = 8 * 1024 * 1024;
  for (let at = 0; at < bytes; at += step) h.update(synthBytes(urlPath, at, Math.min(bytes, at + step)));
  return h.digest('hex');
}

async function startServer() {
  // Its own process: the server's CPU is not the client's, and it gets its own event loop.
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--rate', RATE], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /dlpool serve: (\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', () => reject(new Error('dlpool serve exited')));
  });
  return { url: url.replace(/\/$/, ''), stop: () => child.kill() };
}

function timed(argv, cwd) {
  const tfile = path.join(os.tmpdir(), `dlpool-bench-split-${process.pid}.time`);
  const full = hasTime ? ['/usr/bin/time', '-f', '%U %S %M', '-o', tfile, ...argv] : argv;
  const t0 = process.hrtime.bigint();
  const r = spawnSync(full[0], full.slice(1), { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  let cpu;
  let rss;
  if (hasTime && fs.existsSync(tfile)) {
    const [u, s, m] = fs.readFileSync(tfile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
    cpu = u + s;
    rss = m / 1024;
    fs.rmSync(tfile, { force: true });
  }
  return { ok: r.status === 0, wall, cpu, rss, stderr: String(r.stderr).slice(0, 300) };
}

function digestOf(file) {
  const h = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(8 * 1024 * 1024);
  for (let n; (n = fs.readSync(fd, buf)) > 0;) h.update(buf.subarray(0, n));
  fs.closeSync(fd);
  return h.digest('hex');
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

log(`expected digest of ${SIZE} ...`);
const want = expectedDigest();
const server = await startServer();
const url = `${server.url}${urlPath}`;
const tools = [];
for (const x of XS) {
  tools.push({
    name: `dlpool -x ${x}`,
    argv: (dir) => [process.execPath, bin, 'get', url, '-d', dir, '-x', String(x), '--progress', 'none'],
  });
}
if (hasAria2 && process.env.ARIA2 !== '0') {
  for (const x of XS.filter((n) => n > 1)) {
    tools.push({
      name: `aria2c -x ${x} -s ${x}`,
      argv: (dir) => [
        'aria2c',
        '-q',
        '-x',
        String(x),
        '-s',
        String(x),
        '--min-split-size=1M',
        '--file-allocation=none',
        '--allow-overwrite=true',
        '-d',
        dir,
        url,
      ],
    });
  }
} else log('aria2c not installed (apt-get install aria2): comparing dlpool only');

const results = [];
try {
  for (const t of tools) results.push({ name: t.name, runs: [] });
  // Rounds interleave the tools so drift on the machine hits them alike.
  for (let run = 0; run < RUNS; run++) {
    for (const [i, t] of tools.entries()) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dlpool-bench-split-'));
      const r = timed(t.argv(dir), dir);
      const file = path.join(dir, 'big.bin');
      const ok = r.ok && fs.existsSync(file) && digestOf(file) === want;
      fs.rmSync(dir, { recursive: true, force: true });
      log(`${t.name} run ${run + 1}: ${r.wall.toFixed(2)} s${ok ? '' : ` FAILED ${r.stderr}`}`);
      results[i].runs.push({ ...r, ok });
    }
  }
} finally {
  server.stop();
}

const cap = rate / 1024 / 1024;
const rows = results.map((r) => {
  const good = r.runs.filter((x) => x.ok);
  const wall = good.length ? median(good.map((x) => x.wall)) : undefined;
  const cpu = good.length && good[0].cpu !== undefined ? median(good.map((x) => x.cpu)) : undefined;
  const rss = good.length && good[0].rss !== undefined ? median(good.map((x) => x.rss)) : undefined;
  const mibs = wall ? bytes / 1024 / 1024 / wall : undefined;
  return { name: r.name, ok: good.length === r.runs.length, wall, mibs, cpu, rss };
});
const base = rows.find((r) => r.name === 'dlpool -x 1')?.wall;
let table = `${SIZE} file, server capped at ${RATE}/s per connection, ${os.availableParallelism()} cores, median of ${RUNS}\n\n`;
table +=
  '| tool | wall s | MiB/s | × cap | speed-up vs -x 1 | CPU s | peak RSS MiB | verified |\n|---|---|---|---|---|---|---|---|\n';
for (const r of rows) {
  const f = (v, d = 2) => (v === undefined ? '–' : v.toFixed(d));
  table += `| ${r.name} | ${f(r.wall)} | ${f(r.mibs, 1)} | ${f(r.mibs && r.mibs / cap, 2)} | ${base && r.wall ? (base / r.wall).toFixed(2) : '–'} | ${f(r.cpu)} | ${f(r.rss, 0)} | ${r.ok ? 'yes' : 'NO'} |\n`;
}
process.stdout.write(table);
const out = process.env.RESULTS ?? path.join(root, 'bench-results', 'split.json');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(
  out,
  `${JSON.stringify({ date: new Date().toISOString(), size: SIZE, rate: RATE, runs: RUNS, node: process.version, rows, raw: results }, null, 2)}\n`,
);
log(`wrote ${path.relative(root, out)}`);
