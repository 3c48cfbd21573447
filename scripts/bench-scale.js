#!/usr/bin/env node
// npm run bench:scale — one list of N URLs (default 1,000,000) of tiny synthetic files from a loopback
// `dlpool serve` in its own process, downloaded by `dlpool get LIST -j J --json` in each mode. Measures the
// dlpool process only: wall time, peak RSS (VmHWM) and the most open file descriptors (/proc/PID/fd, sampled
// every SAMPLE_MS), then checks the streamed --json document and the files on disk.
//
// Knobs (environment):
//   N=1000000        URLs in the list
//   J=64             -j
//   SIZE=0           bytes per file (any `dlpool serve` size: 0, 16, 1K, ...)
//   MODES=async,threads
//   W=               -w for --mode threads (default: dlpool's, half the cores)
//   SAMPLE_MS=200    how often RSS and fds are sampled
//   RESULTS=FILE     where the JSON goes [bench-results/scale.json]
//   KEEP=1           keep the temp dir (list, outputs, JSON) instead of removing it
//
// Linux only (/proc). Output dirs are fresh mkdtemp dirs; all are removed at the end (unless KEEP=1).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(REPO, 'bin', 'dlpool.js');
const RESULTS_FILE = path.resolve(REPO, process.env.RESULTS || 'bench-results/scale.json');
const N = intEnv('N', 1_000_000);
const J = intEnv('J', 64);
const SAMPLE_MS = intEnv('SAMPLE_MS', 200);
const SIZE = process.env.SIZE || '0';
const MODES = (process.env.MODES || 'async,threads').split(/[\s,]+/).filter(Boolean);
const W = process.env.W ? intEnv('W', 1) : undefined;
const TARGET_RSS_MIB = 300;
/** stdio, the list file, the event loop's epoll/eventfd/pipes, worker-thread ports: what -j does not count. */
const FD_ALLOWANCE = 32;

function intEnv(name, def) {
  const v = process.env[name];
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) die(`${name} must be a whole number >= 1, got ${v}`);
  return n;
}
function die(msg) {
  process.stderr.write(`bench:scale: ${msg}\n`);
  process.exit(2);
}
const log = (m) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
for (const m of MODES) if (!['async', 'threads'].includes(m)) die(`MODES: unknown mode '${m}'`);
if (!fs.existsSync('/proc/self/status')) die('needs Linux /proc');

// Benchmark traffic goes to 127.0.0.1 only, never through a proxy.
const CHILD_ENV = { ...process.env, NO_PROXY: '127.0.0.1', no_proxy: '127.0.0.1' };
for (const k of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY']) delete CHILD_ENV[k];

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'dlpool-bench-scale-'));
let server;
let running;
process.on('exit', () => {
  for (const c of [running, server]) if (c && c.exitCode === null) c.kill('SIGKILL');
  if (process.env.KEEP !== '1') fs.rmSync(work, { recursive: true, force: true });
  else log(`kept ${work}`);
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

/** `dlpool serve` in its own process, so its memory is not counted against the client. */
async function startServer() {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0'], {
    env: CHILD_ENV,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      const m = /dlpool serve: (\S+)/.exec(buf);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`dlpool serve exited (${code})`)));
  });
  return { child, url };
}

/** The list: one URL per line, distinct names, so the default naming puts N files in one folder. */
async function writeList(file, base) {
  const out = fs.createWriteStream(file);
  const width = String(N).length;
  for (let i = 1; i <= N; i += 10_000) {
    let chunk = '';
    for (let k = i; k < Math.min(N + 1, i + 10_000); k++) {
      chunk += `${base}gen/${SIZE}/f${String(k).padStart(width, '0')}.bin\n`;
    }
    if (!out.write(chunk)) await new Promise((r) => out.once('drain', r));
  }
  await new Promise((r) => out.end(r));
}

function readStatus(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? 0);
    const threads = Number(/^Threads:\s+(\d+)/m.exec(s)?.[1] ?? 0);
    return { rssKiB: kb('VmRSS'), hwmKiB: kb('VmHWM'), threads };
  } catch {
    return undefined;
  }
}
function countFds(pid) {
  try {
    return fs.readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return undefined;
  }
}

async function runMode(mode, list) {
  const dir = fs.mkdtempSync(path.join(work, `out-${mode}-`));
  const jsonFile = path.join(work, `${mode}.json`);
  const args = [BIN, 'get', list, '-d', dir, '-j', String(J), '--json', '--retries', '2'];
  if (mode !== 'async') args.push('--mode', mode);
  if (mode === 'threads' && W !== undefined) args.push('-w', String(W));
  const stdout = fs.openSync(jsonFile, 'w');
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { env: CHILD_ENV, stdio: ['ignore', stdout, 'pipe'] });
  running = child;
  fs.closeSync(stdout);
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
  let done = false;
  void exited.then(() => (done = true));
  const peak = { hwmKiB: 0, rssKiB: 0, fds: 0, threads: 0 };
  const samples = [];
  let lastLog = 0;
  while (!done) {
    const st = readStatus(child.pid);
    const fds = countFds(child.pid);
    if (st) {
      peak.hwmKiB = Math.max(peak.hwmKiB, st.hwmKiB);
      peak.rssKiB = Math.max(peak.rssKiB, st.rssKiB);
      peak.threads = Math.max(peak.threads, st.threads);
    }
    if (fds !== undefined) peak.fds = Math.max(peak.fds, fds);
    const t = performance.now() - t0;
    if (st && t - lastLog >= 10_000) {
      lastLog = t;
      const rss = (st.rssKiB / 1024).toFixed(0);
      samples.push({ s: Math.round(t / 1000), rssMiB: Number(rss), fds });
      log(`  ${mode}: ${Math.round(t / 1000)} s, RSS ${rss} MiB, ${fds} fds`);
    }
    await sleep(SAMPLE_MS);
  }
  const { code, signal } = await exited;
  const wallMs = performance.now() - t0;
  running = undefined;
  if (code !== 0) log(`  ${mode}: exit ${code ?? signal}; stderr: ${stderr.trim().slice(-1000)}`);
  log(`  ${mode}: checking the --json output and the files`);
  const json = await checkJson(jsonFile);
  const files = countFiles(dir);
  const r = {
    mode,
    urls: N,
    j: J,
    workers: mode === 'threads' ? (W ?? 'default') : undefined,
    exitCode: code,
    wallS: round(wallMs / 1000, 1),
    urlsPerS: Math.round(N / (wallMs / 1000)),
    peakRssMiB: round(Math.max(peak.hwmKiB, peak.rssKiB) / 1024, 1),
    maxFds: peak.fds,
    fdLimit: J + FD_ALLOWANCE,
    threads: peak.threads,
    json,
    files,
    rssSamples: samples,
  };
  r.ok =
    code === 0 &&
    json.valid &&
    json.results === N &&
    json.totals?.downloaded === N &&
    json.totals?.failed === 0 &&
    files.complete === N &&
    files.part === 0 &&
    r.peakRssMiB < TARGET_RSS_MIB &&
    r.maxFds <= r.fdLimit;
  return r;
}

const round = (x, d) => Math.round(x * 10 ** d) / 10 ** d;

/**
 * The --json document, checked without parsing 1M entries at once: `{"results":[` on the first line, one
 * result object per line (every one after the first starts with a comma), then `],"downloaded":...}`. Each
 * line is parsed on its own, which, with that layout, shows the whole text is one valid JSON document.
 */
async function checkJson(file) {
  const rl = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  let n = 0;
  let results = 0;
  let first;
  let last;
  let problem;
  for await (const line of rl) {
    n++;
    if (n === 1) first = line;
    else if (line.startsWith(']')) last = line;
    else if (last !== undefined) problem ??= `line ${n}: text after the end`;
    else {
      try {
        const text = results === 0 ? line : line.startsWith(',') ? line.slice(1) : '(no comma)';
        const o = JSON.parse(text);
        if (typeof o.url !== 'string' || typeof o.status !== 'string') throw new Error('not a result');
        results++;
      } catch (e) {
        problem ??= `line ${n}: ${e.message}`;
      }
    }
  }
  let totals;
  try {
    if (last === undefined || !last.startsWith('],')) throw new Error('no closing line');
    totals = JSON.parse(`{${last.slice(2)}`);
  } catch (e) {
    problem ??= `totals: ${e.message}`;
  }
  const valid = first === '{"results":[' && problem === undefined;
  return { valid, problem, lines: n, results, totals };
}

function countFiles(dir) {
  let complete = 0;
  let part = 0;
  const d = fs.opendirSync(dir, { bufferSize: 1024 });
  for (let e = d.readSync(); e !== null; e = d.readSync()) {
    if (e.name.endsWith('.part') || e.name.endsWith('.part.meta')) part++;
    else if (e.isFile()) complete++;
  }
  d.closeSync();
  return { complete, part };
}

const started = new Date().toISOString();
const srv = await startServer();
server = srv.child;
log(`server ${srv.url} (pid ${server.pid}); writing a list of ${N} URLs (${SIZE} bytes each)`);
const list = path.join(work, 'list.txt');
await writeList(list, srv.url);
const runs = [];
for (const mode of MODES) {
  log(`${mode}: dlpool get LIST -j ${J} --json`);
  const r = await runMode(mode, list);
  runs.push(r);
  log(
    `${mode}: ${r.ok ? 'ok' : 'NOT OK'}: ${r.wallS} s, ${r.urlsPerS} URLs/s, peak RSS ${r.peakRssMiB} MiB, max ${r.maxFds} fds`,
  );
}
server.kill('SIGTERM');

const report = {
  started,
  node: process.version,
  cores: os.availableParallelism(),
  n: N,
  j: J,
  size: SIZE,
  targets: { peakRssMiB: TARGET_RSS_MIB, maxFds: `j + ${FD_ALLOWANCE}` },
  runs,
};
fs.mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
fs.writeFileSync(RESULTS_FILE, `${JSON.stringify(report, null, 2)}\n`);

const rows = runs.map(
  (r) =>
    `| ${r.mode} | ${r.urls} | ${r.j} | ${r.wallS} | ${r.urlsPerS} | ${r.peakRssMiB} | ${r.maxFds} | ${r.ok ? 'yes' : 'NO'} |`,
);
process.stdout.write(
  [
    '| mode | URLs | -j | wall s | URLs/s | peak RSS MiB | max fds | ok |',
    '|---|--:|--:|--:|--:|--:|--:|---|',
    ...rows,
    '',
  ].join('\n'),
);
log(`wrote ${path.relative(REPO, RESULTS_FILE)}`);
process.exitCode = runs.every((r) => r.ok) ? 0 : 1;
