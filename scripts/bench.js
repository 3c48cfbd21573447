#!/usr/bin/env node
// scripts/bench.js: `dlpool get` against `curl --parallel`, wget2 and the Node floor on a loopback server,
// in the same run.
//
//   npm run bench                      (= npm run build && node scripts/bench.js)
//   RUNS=3 WORKLOADS=small TOOLS=curl node scripts/bench.js
//
//   npm run bench:threads              (async vs --mode threads -w 1/2/4, with and without sha256)
//
// Workloads: small = 2000 x 16 KiB, big = 8 x 64 MiB, both at concurrency 16 (-j 16 / --parallel-max 16);
// latency = the small files with every response held back 40 ms (and the first on each connection 40 ms
// more: ../shared/bench/delay_server.js when it is there, else `dlpool serve --latency 40`), whose floor is
// 2000 / 16 x 40 ms = 5.0 s; small-https and big-https = the same over TLS (nginx with a self-signed
// certificate made here, HTTP/2 offered; every tool gets the certificate as its CA);
// small-hash and big-hash are the same downloads with `--hash $HASH` (sha256; dlpool only).
// Tools: dlpool (and variants), node-floor (scripts/node-floor.mjs: the cheapest correct Node + undici
// program for the same work, the reference for what dlpool's own code costs), curl, wget2. A peer that is
// not installed is reported as skipped.
// Server: nginx with its own minimal config when an nginx binary is found, else `dlpool serve --root`;
// either runs in its own process on 127.0.0.1 only and is stopped on exit (also on errors and Ctrl-C).
// Every run downloads into a new, empty dir, is timed (wall clock; client user+sys CPU and max RSS
// through /usr/bin/time when present), then verified untimed: exactly the expected names, sizes and
// sha256. Failed runs are reported and left out of the statistics. Tools run in interleaved rounds
// (the order rotated each round) after one untimed warm-up each.
//
// Knobs (environment):
//   RUNS=5 WARMUP=1          timed / warm-up runs per tool and workload
//   WORKLOADS=small,big,latency,small-https,big-https   which workloads (also small-hash, big-hash)
//   HASH=sha256              algorithm of the -hash workloads (any node:crypto name)
//   BASELINE_BIN=PATH        adds tool 'baseline': another checkout's bin/dlpool.js (built), for before/after
//                            figures in one run (git worktree add ../base REF && cd ../base && npm ci)
//   TOOLS=dlpool,node-floor,curl,wget2   which tools (TOOLS=curl tests the harness without dlpool); variants:
//                            dlpool (async), dlpool-threads-1, dlpool-threads-2, dlpool-threads-4,
//                            dlpool-hashpool-1, dlpool-hashpool-2 (async, --hash-pool threads -w 1 / 2)
//   BENCH_DIR=DIR            keep/reuse the corpus in DIR/www (+ DIR/lists/SET.SHA256SUMS, the same
//                            layout as shared/bench, so its corpus can be reused too); default: a
//                            fresh temp dir, removed at the end
//   SERVER=auto|nginx|dlpool which server (auto: nginx if found)
//   SERVER_CMD='CMD --root {root} --port {port}'   any other static server (argv split on spaces)
//   OUT_BASE=DIR             where the output dirs go (e.g. a tmpfs); default: the temp dir
//   RESULTS=FILE             where the JSON goes [bench-results/latest.json]
//   RUN_TIMEOUT=300          seconds before a run is killed (counted as failed)
//   RECENT_DELETE_WAIT=65    see waitRecentDeletes()
//
// Prints Markdown tables and a targets check to stdout; writes bench-results/latest.json.
// Exit status: 0, or 1 when any timed run failed (the tables list them) or the bench itself failed.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DLPOOL_BIN = path.join(REPO, 'bin', 'dlpool.js');
const RESULTS_FILE = path.resolve(REPO, process.env.RESULTS || 'bench-results/latest.json');
const HOST = '127.0.0.1';
const J = 16;
const MiB = 1024 * 1024;

const SETS = {
  small: { count: 2000, size: 16 * 1024, name: (i) => `s${String(i).padStart(4, '0')}.bin` },
  big: { count: 8, size: 64 * MiB, name: (i) => `b${i}.bin` },
};

// Workloads: a corpus set, the server it comes from (plain nginx, nginx over TLS, or the delay server), and
// whether dlpool also digests every file (HASH, default sha256, with the default inline pool). The peers have
// no hashing, so only dlpool runs the -hash workloads.
const WORKLOAD_DEFS = {
  small: { set: 'small', hash: false, via: 'http' },
  big: { set: 'big', hash: false, via: 'http' },
  latency: { set: 'small', hash: false, via: 'latency' },
  'small-https': { set: 'small', hash: false, via: 'https' },
  'big-https': { set: 'big', hash: false, via: 'https' },
  'small-hash': { set: 'small', hash: true, via: 'http' },
  'big-hash': { set: 'big', hash: true, via: 'http' },
};
const setOf = (w) => WORKLOAD_DEFS[w].set;
/** Milliseconds the latency workload holds back each response (and the first on each connection, again). */
const LATENCY_MS = 40;
const SHARED_DELAY_SERVER = path.resolve(REPO, '..', 'shared', 'bench', 'delay_server.js');

// dlpool variants: the async engine, and --mode threads at 1, 2 and 4 workers.
const DLPOOL_VARIANTS = {
  dlpool: [],
  'dlpool-threads-1': ['--mode', 'threads', '-w', '1'],
  'dlpool-threads-2': ['--mode', 'threads', '-w', '2'],
  'dlpool-threads-4': ['--mode', 'threads', '-w', '4'],
  // async downloads, hashing in a pool of 2 worker threads (for the -hash workloads)
  'dlpool-hashpool-1': ['--hash-pool', 'threads', '-w', '1'],
  'dlpool-hashpool-2': ['--hash-pool', 'threads', '-w', '2'],
};

/** The tools dlpool is compared with; one that is not installed is reported as skipped. */
const PEERS = ['node-floor', 'curl', 'wget2'];
const BASELINE_BIN = process.env.BASELINE_BIN ? path.resolve(process.env.BASELINE_BIN) : null;
if (BASELINE_BIN) PEERS.push('baseline');

function intEnv(name, def) {
  const v = process.env[name];
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) die(`${name} must be a whole number >= 0, got ${v}`);
  return n;
}
function listEnv(name, def, allowed) {
  const v = process.env[name];
  const list = v ? v.split(/[\s,]+/).filter(Boolean) : def;
  for (const x of list) {
    if (!allowed.includes(x)) die(`${name}: unknown '${x}' (known: ${allowed.join(', ')})`);
  }
  if (list.length === 0) die(`${name} is empty`);
  return [...new Set(list)];
}
function die(msg) {
  process.stderr.write(`bench: ${msg}\n`);
  process.exit(2);
}
function log(msg) {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

const RUNS = intEnv('RUNS', 5);
const WARMUP = intEnv('WARMUP', 1);
const RUN_TIMEOUT_S = intEnv('RUN_TIMEOUT', 300);
const RECENT_DELETE_WAIT_S = intEnv('RECENT_DELETE_WAIT', 65);
const WORKLOADS = listEnv(
  'WORKLOADS',
  ['small', 'big', 'latency', 'small-https', 'big-https'],
  Object.keys(WORKLOAD_DEFS),
);
const ALL_TOOLS = listEnv(
  'TOOLS',
  ['dlpool', 'node-floor', 'curl', 'wget2', ...(BASELINE_BIN ? ['baseline'] : [])],
  [...Object.keys(DLPOOL_VARIANTS), ...PEERS],
);
const HASH = process.env.HASH || 'sha256';
const SETS_USED = [...new Set(WORKLOADS.map(setOf))];
const toolsFor = (w) => ALL_TOOLS.filter((t) => t in DLPOOL_VARIANTS || !WORKLOAD_DEFS[w].hash);
const SERVER = process.env.SERVER || 'auto';
if (!['auto', 'nginx', 'dlpool'].includes(SERVER)) die(`SERVER must be auto, nginx or dlpool, got ${SERVER}`);

// Benchmark traffic goes to 127.0.0.1 only, never through a proxy.
const CHILD_ENV = { ...process.env, NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost' };
for (const k of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY']) {
  delete CHILD_ENV[k];
}

// ---------------------------------------------------------------------------------------------
// Clean-up: everything started or made is recorded here and undone on exit, error or signal.

const state = { workDir: null, outBase: null, server: null, delay: null, running: null, cleaned: false };
const DELETE_STAMP = path.join(os.tmpdir(), 'dlpool-bench.last-mass-delete');

function killTree(child, signal) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal); // our own process group (spawned detached)
  } catch {
    try {
      child.kill(signal);
    } catch {}
  }
}

function cleanupSync() {
  if (state.cleaned) return;
  state.cleaned = true;
  killTree(state.running, 'SIGKILL');
  if (state.server) state.server.stopSync();
  if (state.delay) state.delay.stopSync();
  const dirs = [state.outBase, state.workDir].filter((d) => d && fs.existsSync(d));
  if (dirs.length > 0) {
    log('removing output dirs and temp files');
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    syncFs(os.tmpdir());
    try {
      fs.writeFileSync(DELETE_STAMP, `${Date.now()}\n`);
    } catch {}
  }
}

process.on('exit', cleanupSync);
for (const [sig, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
]) {
  process.on(sig, () => {
    log(`${sig}: stopping`);
    process.exit(code); // runs cleanupSync
  });
}

function syncFs(dir) {
  const r = spawnSync('sync', ['-f', dir], { stdio: 'ignore' });
  if (r.status !== 0) spawnSync('sync', [], { stdio: 'ignore' });
}

// This disk is ext4 without a journal: creating files soon after many were deleted is several times
// slower (inodes are not reused for 60 s and every create scans past them). So wait when a previous
// bench run just removed its output dirs.
async function waitRecentDeletes() {
  let last;
  try {
    last = Number(fs.readFileSync(DELETE_STAMP, 'utf8'));
  } catch {
    return;
  }
  const left = Math.ceil((last + RECENT_DELETE_WAIT_S * 1000 - Date.now()) / 1000);
  if (left > 0) {
    log(`waiting ${left} s: many files were deleted recently (ext4 without journal reuses inodes late)`);
    await sleep(left * 1000);
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Corpus: www/small/s0000.bin.., www/big/b0.bin.., random bytes; lists/SET.SHA256SUMS (coreutils format).

function readSums(file) {
  const sums = new Map();
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (m) sums.set(m[2], m[1]);
  }
  return sums;
}

function corpusUsable(dir, set, sumsFile) {
  const def = SETS[set];
  if (!fs.existsSync(sumsFile) || !fs.existsSync(dir)) return null;
  const sums = readSums(sumsFile);
  if (sums.size !== def.count) return null;
  const names = fs.readdirSync(dir);
  if (names.length !== def.count) return null;
  for (let i = 0; i < def.count; i++) {
    const name = def.name(i);
    if (!sums.has(name)) return null;
    try {
      if (fs.statSync(path.join(dir, name)).size !== def.size) return null;
    } catch {
      return null;
    }
  }
  return sums;
}

function generateSet(dir, set, sumsFile) {
  const def = SETS[set];
  fs.mkdirSync(dir, { recursive: true });
  const sums = new Map();
  const chunk = Math.min(def.size, MiB);
  for (let i = 0; i < def.count; i++) {
    const name = def.name(i);
    const h = createHash('sha256');
    const fd = fs.openSync(path.join(dir, name), 'w');
    try {
      for (let done = 0; done < def.size; done += chunk) {
        const buf = randomBytes(Math.min(chunk, def.size - done));
        h.update(buf);
        fs.writeSync(fd, buf);
      }
    } finally {
      fs.closeSync(fd);
    }
    sums.set(name, h.digest('hex'));
  }
  fs.mkdirSync(path.dirname(sumsFile), { recursive: true });
  const lines = [...sums].map(([name, hex]) => `${hex}  ${name}\n`).join('');
  fs.writeFileSync(`${sumsFile}.tmp`, lines);
  fs.renameSync(`${sumsFile}.tmp`, sumsFile);
  return sums;
}

function prepareCorpus(base) {
  const www = path.join(base, 'www');
  const sums = {};
  for (const set of SETS_USED) {
    const dir = path.join(www, set);
    const sumsFile = path.join(base, 'lists', `${set}.SHA256SUMS`);
    const have = corpusUsable(dir, set, sumsFile);
    if (have) {
      log(`corpus ${set}: reusing ${dir}`);
      sums[set] = have;
    } else {
      const t0 = performance.now();
      log(`corpus ${set}: generating ${SETS[set].count} x ${fmtBytes(SETS[set].size)} in ${dir}`);
      sums[set] = generateSet(dir, set, sumsFile);
      log(`corpus ${set}: done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
  }
  syncFs(www); // no write-back of the corpus during timed runs
  return { www, sums };
}

// ---------------------------------------------------------------------------------------------
// Servers (separate processes, 127.0.0.1 only)

function findExecutable(name, extra = []) {
  const dirs = [...(process.env.PATH || '').split(':').filter(Boolean), ...extra];
  for (const d of dirs) {
    const p = path.join(d, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {}
  }
  return null;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, HOST, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function httpStatus(url) {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
      res.on('error', () => resolve(0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

async function waitHttp(url, child, what, timeoutMs = 15000) {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}) before answering`);
    }
    if ((await httpStatus(url)) === 200) return;
    await sleep(100);
  }
  throw new Error(`${what} did not answer 200 for ${url} within ${timeoutMs / 1000} s`);
}

function spawnServer(cmd, args, logFile) {
  const fd = fs.openSync(logFile, 'w');
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', fd], detached: true, env: CHILD_ENV });
  fs.closeSync(fd);
  const server = {
    child,
    pid: child.pid,
    logFile,
    stopSync() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      killTree(child, 'SIGTERM');
      const until = Date.now() + 5000;
      while (Date.now() < until && pidAlive(child.pid)) spawnSync('sleep', ['0.05']);
      if (pidAlive(child.pid)) killTree(child, 'SIGKILL');
      log(`${server.kind} stopped (pid ${child.pid})`);
    },
  };
  return server;
}

function pidAlive(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat); // a zombie is gone for our purposes
  } catch {
    return false;
  }
}

function firstFile(set) {
  return `${set}/${SETS[set].name(0)}`;
}

/** A self-signed certificate for 127.0.0.1 (EC P-256), made fresh for each run; it is also the CA. */
function makeCertificate(dir) {
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  const args = [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
    '-keyout',
    key,
    '-out',
    cert,
  ];
  const made = spawnSync('openssl', args, { encoding: 'utf8' });
  if (made.status !== 0)
    throw new Error(`openssl could not make a certificate: ${made.stderr || made.error}`);
  return { cert, key };
}

async function startNginx(nginxBin, www, workDir) {
  const dir = path.join(workDir, 'nginx');
  for (const d of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) {
    fs.mkdirSync(path.join(dir, d), { recursive: true });
  }
  const port = await freePort();
  const tls = WORKLOADS.some((w) => WORKLOAD_DEFS[w].via === 'https')
    ? { port: await freePort(), ...makeCertificate(dir) }
    : null;
  // HTTP/2 is offered (ALPN) as a production server would; each client uses what it prefers.
  const tlsServer = tls
    ? `
  server {
    listen ${HOST}:${tls.port} ssl http2;
    server_name localhost;
    ssl_certificate ${tls.cert};
    ssl_certificate_key ${tls.key};
    root ${www};
    location / { try_files $uri =404; }
  }`
    : '';
  const conf = path.join(dir, 'nginx.conf');
  const errLog = path.join(dir, 'error.log');
  // As root the worker runs as root as well, so it can read the corpus whatever the temp dir's modes.
  const userLine = process.getuid?.() === 0 ? 'user root root;' : '';
  fs.writeFileSync(
    conf,
    `# written by dlpool scripts/bench.js: minimal static file server for the benchmark
${userLine}
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${errLog} warn;
events { worker_connections 4096; }
http {
  default_type application/octet-stream;
  access_log off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_requests 100000;
  keepalive_timeout 65s;
  gzip off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen ${HOST}:${port};
    server_name localhost;
    root ${www};
    location / { try_files $uri =404; }
  }${tlsServer}
}
`,
  );
  const t = spawnSync(nginxBin, ['-t', '-q', '-p', dir, '-c', conf, '-e', errLog], { encoding: 'utf8' });
  if (t.status !== 0) throw new Error(`nginx -t failed: ${t.stderr || t.stdout}`);
  const v = spawnSync(nginxBin, ['-v'], { encoding: 'utf8' });
  const server = spawnServer(nginxBin, ['-p', dir, '-c', conf, '-e', errLog], path.join(dir, 'stderr.log'));
  state.server = server;
  server.kind = 'nginx';
  server.version = (v.stderr || '').trim().replace(/^nginx version: /, '');
  server.baseUrl = `http://${HOST}:${port}/`;
  if (tls) {
    server.tlsUrl = `https://${HOST}:${tls.port}/`;
    server.caFile = tls.cert;
  }
  await waitHttp(server.baseUrl + firstFile(SETS_USED[0]), server.child, 'nginx');
  return server;
}

async function startDlpoolServe(www, workDir) {
  if (!fs.existsSync(path.join(REPO, 'dist', 'server', 'index.js'))) {
    throw new Error('`dlpool serve` needs dist/server/ (npm run build), or install nginx, or set SERVER_CMD');
  }
  const server = spawnServer(
    process.execPath,
    [DLPOOL_BIN, 'serve', '--root', www, '--port', '0'],
    path.join(workDir, 'dlpool-serve.log'),
  );
  state.server = server;
  server.kind = 'dlpool serve';
  server.version = `node ${process.version}`;
  server.baseUrl = await new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error('dlpool serve printed no URL within 15 s')), 15000);
    server.child.stdout.setEncoding('utf8');
    server.child.stdout.on('data', (d) => {
      buf += d;
      const m = /dlpool serve: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(buf);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    server.child.once('exit', (code, sig) => {
      clearTimeout(timer);
      const err = fs.readFileSync(server.logFile, 'utf8').trim().split('\n').slice(-5).join('\n');
      reject(new Error(`dlpool serve exited (${code ?? sig}) before printing its URL:\n${err}`));
    });
  });
  server.child.stdout.resume(); // keep draining whatever else it prints
  await waitHttp(server.baseUrl + firstFile(SETS_USED[0]), server.child, 'dlpool serve');
  return server;
}

async function startCustom(template, www, workDir) {
  const port = await freePort();
  const argv = template
    .split(/\s+/)
    .filter(Boolean)
    .map((a) => a.replaceAll('{root}', www).replaceAll('{port}', String(port)));
  const server = spawnServer(argv[0], argv.slice(1), path.join(workDir, 'server.log'));
  state.server = server;
  server.kind = `SERVER_CMD (${path.basename(argv[0])} ${argv.slice(1, 2).join(' ')})`;
  server.version = '';
  server.baseUrl = `http://${HOST}:${port}/`;
  await waitHttp(server.baseUrl + firstFile(SETS_USED[0]), server.child, 'SERVER_CMD');
  return server;
}

/**
 * The latency workload's server: shared/bench's delay_server.js when this checkout sits beside it (every
 * response held back LATENCY_MS, the first on each connection LATENCY_MS more), else `dlpool serve --latency`.
 */
async function startDelayServer(www, workDir) {
  const port = await freePort();
  const shared = fs.existsSync(SHARED_DELAY_SERVER);
  const argv = shared
    ? [SHARED_DELAY_SERVER, '--root', www, '--port', String(port), '--delay-ms', String(LATENCY_MS)]
    : [DLPOOL_BIN, 'serve', '--root', www, '--port', String(port), '--latency', String(LATENCY_MS)];
  if (shared) argv.push('--conn-delay-ms', String(LATENCY_MS));
  const server = spawnServer(process.execPath, argv, path.join(workDir, 'delay-server.log'));
  state.delay = server;
  server.kind = shared ? 'shared/bench/delay_server.js' : 'dlpool serve --latency';
  server.baseUrl = `http://${HOST}:${port}/`;
  await waitHttp(server.baseUrl + firstFile('small'), server.child, server.kind);
  return server;
}

async function startServer(www, workDir) {
  if (process.env.SERVER_CMD) return startCustom(process.env.SERVER_CMD, www, workDir);
  const nginx = findExecutable('nginx', ['/usr/sbin', '/usr/local/sbin', '/usr/local/nginx/sbin']);
  if (SERVER === 'nginx' && !nginx) throw new Error('SERVER=nginx but no nginx binary was found');
  if (nginx && SERVER !== 'dlpool') return startNginx(nginx, www, workDir);
  if (SERVER === 'auto') log('no nginx binary found: using `dlpool serve --root`');
  return startDlpoolServe(www, workDir);
}

// user+system CPU seconds of the server process and its children (nginx workers).
function serverCpuSeconds() {
  const s = state.server;
  if (!s) return 0;
  const pids = [s.pid];
  try {
    const kids = fs.readFileSync(`/proc/${s.pid}/task/${s.pid}/children`, 'utf8').trim();
    if (kids) pids.push(...kids.split(/\s+/).map(Number));
  } catch {}
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]); // utime, stime (fields 14 and 15)
    } catch {}
  }
  return ticks / 100; // USER_HZ
}

// All non-idle CPU seconds of the machine (client + server + anything else): a noise indicator.
function machineBusySeconds() {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    return (f[0] + f[1] + f[2] + f[5] + f[6] + f[7]) / 100; // user nice system irq softirq steal
  } catch {
    return 0;
  }
}

// ---------------------------------------------------------------------------------------------
// Runs

function toolArgv(tool, dir, files, hash) {
  const ca = files.ca;
  if (tool in DLPOOL_VARIANTS) {
    return [
      process.execPath,
      DLPOOL_BIN,
      'get',
      '-j',
      String(J),
      '-q',
      ...DLPOOL_VARIANTS[tool],
      ...(hash ? ['--hash', HASH] : []),
      ...(ca ? ['--ca-certificate', ca] : []),
      '-d',
      dir,
      files.list,
    ];
  }
  if (tool === 'baseline') {
    return [
      process.execPath,
      BASELINE_BIN,
      'get',
      '-j',
      String(J),
      '-q',
      ...(ca ? ['--ca-certificate', ca] : []),
    ].concat(['-d', dir, files.list]);
  }
  if (tool === 'node-floor') {
    const floor = path.join(REPO, 'scripts', 'node-floor.mjs');
    return [
      process.execPath,
      floor,
      files.list,
      dir,
      '-j',
      String(J),
      ...(ca ? ['--ca-certificate', ca] : []),
    ];
  }
  if (tool === 'wget2') {
    return [
      'wget2',
      '--no-config',
      '--quiet',
      '--no-robots',
      `--max-threads=${J}`,
      ...(ca ? [`--ca-certificate=${ca}`] : []),
      '-i',
      files.list,
      '-P',
      dir,
    ];
  }
  return [
    'curl',
    '-q', // first: no ~/.curlrc
    ...(ca ? ['--cacert', ca] : []),
    '--no-progress-meter',
    '--show-error',
    '--fail',
    '--parallel',
    '--parallel-max',
    String(J),
    '--remote-name-all',
    '--output-dir',
    dir,
    '-K',
    files.curlrc,
  ];
}

function runChild(argv, logFile, timeoutS) {
  return new Promise((resolve) => {
    const fd = fs.openSync(logFile, 'w');
    const child = spawn(argv[0], argv.slice(1), {
      stdio: ['ignore', fd, fd],
      detached: true, // own process group: a timeout kills the tool, not just /usr/bin/time
      env: CHILD_ENV,
    });
    fs.closeSync(fd);
    state.running = child;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killTree(child, 'SIGKILL');
    }, timeoutS * 1000);
    child.once('error', (err) => {
      clearTimeout(timer);
      state.running = null;
      fs.appendFileSync(logFile, `spawn failed: ${err.message}\n`);
      resolve({ code: 127, signal: null, timedOut });
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      state.running = null;
      resolve({ code, signal, timedOut });
    });
  });
}

function verifyDir(dir, sums, size) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    return `no output dir (${e.code})`;
  }
  const unexpected = [];
  let found = 0;
  for (const e of entries) {
    if (!sums.has(e.name) || !e.isFile()) unexpected.push(e.name);
    else found++;
  }
  if (found !== sums.size || unexpected.length > 0) {
    const ex = unexpected.slice(0, 3).join(', ');
    return `files: ${found}/${sums.size} expected names present, ${unexpected.length} unexpected${ex ? ` (${ex})` : ''}`;
  }
  const buf = Buffer.allocUnsafe(MiB);
  for (const [name, hex] of sums) {
    const p = path.join(dir, name);
    const st = fs.statSync(p);
    if (st.size !== size) return `size: ${name} has ${st.size} bytes, expected ${size}`;
    const h = createHash('sha256');
    const fd = fs.openSync(p, 'r');
    try {
      for (;;) {
        const n = fs.readSync(fd, buf, 0, buf.length, null);
        if (n === 0) break;
        h.update(buf.subarray(0, n));
      }
    } finally {
      fs.closeSync(fd);
    }
    if (h.digest('hex') !== hex) return `sha256: ${name} differs`;
  }
  return null;
}

let timeFileSeq = 0;
async function runOne(ctx, tool, w, label) {
  const dir = path.join(state.outBase, w, `${tool}.${label}`);
  if (fs.existsSync(dir)) throw new Error(`output dir already exists: ${dir}`);
  fs.mkdirSync(dir, { recursive: true });
  syncFs(state.outBase); // nothing of the previous run is written back during this one
  const logFile = path.join(ctx.logDir, `${w}.${tool}.${label}.log`);
  const timeFile = path.join(ctx.workDir, `time.${++timeFileSeq}.txt`);
  const argv = toolArgv(tool, dir, ctx.files[w], WORKLOAD_DEFS[w].hash);
  const cmd = ctx.gnuTime ? [ctx.gnuTime, '-f', '%e %U %S %M', '-o', timeFile, ...argv] : argv;

  const busy0 = machineBusySeconds();
  const srv0 = serverCpuSeconds();
  const t0 = process.hrtime.bigint();
  const r = await runChild(cmd, logFile, RUN_TIMEOUT_S);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const srv = serverCpuSeconds() - srv0;
  const busy = machineBusySeconds() - busy0;

  const run = { label, wall_s: round(wall, 4), exit: r.code ?? r.signal, server_cpu_s: round(srv, 2) };
  run.machine_busy_s = round(busy, 2);
  if (ctx.gnuTime) {
    try {
      const last = fs.readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(/\s+/).map(Number);
      if (last.length === 4 && last.every(Number.isFinite)) {
        run.user_s = last[1];
        run.sys_s = last[2];
        run.cpu_s = round(last[1] + last[2], 2);
        run.maxrss_kb = last[3];
      }
    } catch {}
    fs.rmSync(timeFile, { force: true });
  }
  let failure = null;
  if (r.timedOut) failure = `timeout after ${RUN_TIMEOUT_S} s`;
  else if (r.code !== 0) failure = `exit ${r.code ?? r.signal}`;
  // verification is untimed; a failed exit is still checked, to say what is missing
  const bad = verifyDir(dir, ctx.sums[setOf(w)], SETS[setOf(w)].size);
  if (bad) failure = failure ? `${failure}; ${bad}` : bad;
  run.ok = failure === null;
  if (failure) {
    run.failure = failure;
    const tail = fs.readFileSync(logFile, 'utf8').trim().split('\n').slice(-5);
    log(`  ${w}/${tool} ${label} FAILED: ${failure}`);
    for (const l of tail) if (l) log(`      ${l.slice(0, 200)}`);
  }
  // Big outputs (8 files) go at once, before they are ever written back; small ones stay until
  // the end (deleting 2000 files right before the next run would tax its creates, see above).
  if (setOf(w) === 'big') fs.rmSync(dir, { recursive: true, force: true });
  syncFs(state.outBase);
  return run;
}

// ---------------------------------------------------------------------------------------------
// Statistics and report

function round(x, d) {
  const f = 10 ** d;
  return Math.round(x * f) / f;
}
function roundOrNull(x, d) {
  return x === null ? null : round(x, d);
}
function median(xs) {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
function fmtBytes(n) {
  return n >= MiB ? `${n / MiB} MiB` : `${n / 1024} KiB`;
}
function fmt(x, d) {
  return x === null || x === undefined || Number.isNaN(x) ? '–' : x.toFixed(d);
}

function summarize(w, runs) {
  const def = SETS[setOf(w)];
  const ok = runs.filter((r) => r.ok);
  const walls = ok.map((r) => r.wall_s);
  const med = median(walls);
  const pick = (k) => ok.map((r) => r[k]).filter((v) => v !== undefined);
  const rss = pick('maxrss_kb');
  return {
    ok_runs: ok.length,
    runs: runs.length,
    median_s: med === null ? null : round(med, 4),
    min_s: walls.length ? Math.min(...walls) : null,
    max_s: walls.length ? Math.max(...walls) : null,
    files_per_s: med ? round(def.count / med, 0) : null,
    mib_per_s: med ? round((def.count * def.size) / MiB / med, 1) : null,
    cpu_s_median: roundOrNull(median(pick('cpu_s')), 3),
    user_s_median: roundOrNull(median(pick('user_s')), 3),
    sys_s_median: roundOrNull(median(pick('sys_s')), 3),
    maxrss_mib_median: rss.length ? round(median(rss) / 1024, 1) : null,
    maxrss_mib_peak: rss.length ? round(Math.max(...rss) / 1024, 1) : null,
    server_cpu_s_median: roundOrNull(median(pick('server_cpu_s')), 3),
    machine_busy_s_median: roundOrNull(median(pick('machine_busy_s')), 3),
    failures: runs.filter((r) => !r.ok).map((r) => `${r.label}: ${r.failure}`),
    wall_s: runs.map((r) => (r.ok ? r.wall_s : null)),
  };
}

function ratio(a, b) {
  return a !== null && b !== null && a !== undefined && b !== undefined && b > 0 ? round(a / b, 2) : null;
}

function markdownTable(w, res) {
  const def = SETS[setOf(w)];
  const tools = Object.keys(res.tools);
  const out = [];
  out.push(
    `### ${w}: ${def.count} x ${fmtBytes(def.size)} (${fmt((def.count * def.size) / MiB, 1)} MiB), -j ${J}` +
      (res.hash ? `, --hash ${res.hash}` : ''),
  );
  out.push('');
  out.push(
    '| tool | ok runs | median s | min–max s | files/s | MiB/s | × curl | × wget2 | × node-floor | ' +
      'client CPU s (user+sys) | max RSS MiB (median / peak) | server CPU s | machine busy CPU-s |',
  );
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const med = (t) => res.tools[t]?.median_s ?? null;
  for (const t of tools) {
    const s = res.tools[t];
    const cpu =
      s.cpu_s_median === null
        ? '–'
        : `${fmt(s.cpu_s_median, 2)} (${fmt(s.user_s_median, 2)}+${fmt(s.sys_s_median, 2)})`;
    out.push(
      `| ${t} | ${s.ok_runs}/${s.runs} | ${fmt(s.median_s, 3)} | ${s.min_s === null ? '–' : `${fmt(s.min_s, 3)}–${fmt(s.max_s, 3)}`} | ` +
        `${fmt(s.files_per_s, 0)} | ${fmt(s.mib_per_s, 1)} | ${fmt(ratio(s.median_s, med('curl')), 2)} | ` +
        `${fmt(ratio(s.median_s, med('wget2')), 2)} | ${fmt(ratio(s.median_s, med('node-floor')), 2)} | ${cpu} | ` +
        `${fmt(s.maxrss_mib_median, 1)} / ${fmt(s.maxrss_mib_peak, 1)} | ${fmt(s.server_cpu_s_median, 2)} | ` +
        `${fmt(s.machine_busy_s_median, 2)} |`,
    );
  }
  if (res.ratio && Object.keys(res.ratio).length > 0) {
    out.push('');
    const parts = Object.entries(res.ratio).map(
      ([p, r]) => `dlpool/${p}: time ${fmt(r.time, 2)}×, client CPU ${fmt(r.cpu, 2)}×`,
    );
    out.push(`${parts.join('; ')} (< 1 means dlpool is faster / uses less)`);
  }
  for (const t of tools) {
    for (const f of res.tools[t].failures) out.push(`- failed: ${t} run ${f}`);
  }
  return out.join('\n');
}

/**
 * Issue 12's targets, from this run only: each a ratio of dlpool's median to a peer's median (or, for the
 * latency list, to its floor of 2000 / 16 x 40 ms), PASS when at or under the limit.
 */
function targets(results) {
  const lines = ['### Targets (ratios of medians in this run)', ''];
  const t = {};
  const check = (key, label, w, peer, limit) => {
    const r = results[w];
    const ours = r?.tools.dlpool?.median_s;
    const ref = peer === 'floor' ? (SETS.small.count / J) * (LATENCY_MS / 1000) : r?.tools[peer]?.median_s;
    if (!ours || !ref) {
      lines.push(`- ${label}: not measured (needs dlpool and ${peer} in ${w})`);
      return;
    }
    const x = ratio(ours, ref);
    t[key] = {
      workload: w,
      against: peer,
      dlpool_s: ours,
      ref_s: round(ref, 3),
      ratio: x,
      limit,
      pass: x <= limit,
    };
    lines.push(
      `- ${label}: dlpool ${fmt(ours, 3)} s / ${peer} ${fmt(ref, 3)} s = ${fmt(x, 2)}× (≤ ${limit}) → ` +
        `${x <= limit ? 'PASS' : 'MISS'}`,
    );
  };
  check('small_vs_wget2', 'small no slower than wget2', 'small', 'wget2', 1);
  check('small_vs_curl', 'small within 2× curl (aim)', 'small', 'curl', 2);
  check('big_vs_curl', 'big no slower than curl', 'big', 'curl', 1);
  check('big_vs_wget2', 'big no slower than wget2 (aim)', 'big', 'wget2', 1);
  check('latency_vs_floor', 'latency within 1.05× its floor', 'latency', 'floor', 1.05);
  check('small_https_vs_wget2', 'https small no slower than wget2', 'small-https', 'wget2', 1);
  check('big_https_vs_curl', 'https big no slower than curl', 'big-https', 'curl', 1);
  for (const w of Object.keys(results)) {
    const x = results[w].ratio?.['node-floor']?.time;
    if (x)
      lines.push(
        `- ${w}: dlpool / node-floor ${fmt(x, 2)}× (what dlpool's own code costs over Node + undici)`,
      );
  }
  // Issue 13: digests as the bytes arrive cost little next to the download itself.
  for (const tool of ['dlpool', 'dlpool-hashpool-1', 'dlpool-hashpool-2']) {
    const plain = results.big?.tools.dlpool?.median_s;
    const hashed = results['big-hash']?.tools[tool]?.median_s;
    if (!plain || !hashed) continue;
    const x = ratio(hashed, plain);
    t[`big_hash_${tool}`] = { plain_s: plain, hashed_s: hashed, ratio: x, limit: 1.15, pass: x <= 1.15 };
    lines.push(
      `- get --hash ${HASH} (${tool}) / plain get (dlpool), big: ${fmt(hashed, 3)} s / ${fmt(plain, 3)} s = ` +
        `${fmt(x, 2)}× (≤ 1.15) → ${x <= 1.15 ? 'PASS' : 'MISS'}`,
    );
  }
  const rs = results.small?.tools.dlpool?.maxrss_mib_peak;
  const rb = results.big?.tools.dlpool?.maxrss_mib_peak;
  if (rs && rb) {
    t.rss_big_vs_small = { small_mib: rs, big_mib: rb, ratio: ratio(rb, rs), pass: rb <= 1.5 * rs };
    lines.push(
      `- memory: dlpool peak RSS big ${fmt(rb, 1)} MiB vs small ${fmt(rs, 1)} MiB = ${fmt(rb / rs, 2)}× ` +
        `(target ≤ 1.5×) → ${rb <= 1.5 * rs ? 'PASS' : 'MISS'}`,
    );
  } else lines.push('- memory: needs dlpool max RSS of both workloads (and /usr/bin/time)');
  return { text: lines.join('\n'), json: t };
}

function toolVersion(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? (r.stdout || r.stderr).split('\n')[0].trim() : null;
}

// ---------------------------------------------------------------------------------------------

async function main() {
  if (ALL_TOOLS.some((t) => t in DLPOOL_VARIANTS) || SERVER === 'dlpool') {
    if (!fs.existsSync(path.join(REPO, 'dist', 'cli', 'main.js'))) {
      throw new Error('dist/ is missing: run `npm run build` (npm run bench does)');
    }
  }
  const gnuTime = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
  if (!gnuTime) log('/usr/bin/time not found: wall clock only (no CPU time, no max RSS)');
  await waitRecentDeletes();

  state.workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dlpool-bench-'));
  const corpusBase = process.env.BENCH_DIR ? path.resolve(process.env.BENCH_DIR) : state.workDir;
  state.outBase = process.env.OUT_BASE
    ? fs.mkdtempSync(path.join(path.resolve(process.env.OUT_BASE), 'dlpool-bench-out-'))
    : path.join(state.workDir, 'out');
  const logDir = path.join(state.workDir, 'logs');
  fs.mkdirSync(logDir, { recursive: true });
  fs.mkdirSync(state.outBase, { recursive: true });

  const { www, sums } = prepareCorpus(corpusBase);
  const server = await startServer(www, state.workDir);
  log(
    `server: ${server.kind}${server.version ? ` (${server.version})` : ''} at ${server.baseUrl}, pid ${server.pid}`,
  );

  const delay = WORKLOADS.some((w) => WORKLOAD_DEFS[w].via === 'latency')
    ? await startDelayServer(www, state.workDir)
    : null;
  if (delay) log(`latency server: ${delay.kind} at ${delay.baseUrl}, ${LATENCY_MS} ms per response`);

  // One URL list (and curl config) per workload: the set's files from the workload's server.
  const files = {};
  const skippedWorkloads = new Set();
  for (const w of WORKLOADS) {
    const { set, via } = WORKLOAD_DEFS[w];
    const base = via === 'latency' ? delay.baseUrl : via === 'https' ? server.tlsUrl : server.baseUrl;
    if (!base) {
      log(`${w}: skipped (https needs the nginx server)`);
      skippedWorkloads.add(w);
      continue;
    }
    const urls = [...sums[set].keys()].sort().map((n) => `${base}${set}/${n}`);
    const list = path.join(state.workDir, `${w}.urls`);
    const curlrc = path.join(state.workDir, `${w}.curlrc`);
    fs.writeFileSync(list, urls.map((u) => `${u}\n`).join(''));
    fs.writeFileSync(curlrc, urls.map((u) => `url = "${u}"\n`).join(''));
    files[w] = { list, curlrc, ca: via === 'https' ? server.caFile : undefined };
  }
  const ctx = { workDir: state.workDir, logDir, files, sums, gnuTime };
  const missing = new Set(['curl', 'wget2'].filter((t) => ALL_TOOLS.includes(t) && !findExecutable(t)));
  for (const t of missing) log(`${t}: not installed, skipped`);

  const results = {};
  for (const w of WORKLOADS.filter((x) => !skippedWorkloads.has(x))) {
    const def = SETS[setOf(w)];
    const TOOLS = toolsFor(w).filter((t) => !missing.has(t));
    log(`== ${w}: ${def.count} x ${fmtBytes(def.size)}, -j ${J}, tools: ${TOOLS.join(', ')}`);
    const runs = Object.fromEntries(TOOLS.map((t) => [t, []]));
    const skip = new Set();
    for (const t of TOOLS) {
      for (let k = 1; k <= WARMUP; k++) {
        const r = await runOne(ctx, t, w, `w${k}`);
        log(`  warm-up ${t}: ${r.wall_s.toFixed(3)} s${r.ok ? '' : ` FAILED (${r.failure})`}`);
        if (r.failure?.startsWith('timeout')) skip.add(t);
      }
    }
    for (let round = 1; round <= RUNS; round++) {
      const parts = [];
      for (let i = 0; i < TOOLS.length; i++) {
        const t = TOOLS[(i + round - 1) % TOOLS.length];
        if (skip.has(t)) continue;
        const r = await runOne(ctx, t, w, String(round));
        runs[t].push(r);
        if (r.failure?.startsWith('timeout')) skip.add(t);
        const rss = r.maxrss_kb ? ` ${(r.maxrss_kb / 1024).toFixed(0)}MiB` : '';
        const cpu = r.cpu_s !== undefined ? ` cpu=${r.cpu_s.toFixed(2)}` : '';
        parts.push(`${t}=${r.wall_s.toFixed(3)}s${cpu}${rss}${r.ok ? '' : '(FAILED)'}`);
      }
      log(`  round ${round}: ${parts.join(' ')}`);
    }
    const tools = Object.fromEntries(TOOLS.map((t) => [t, summarize(w, runs[t])]));
    results[w] = {
      files: def.count,
      bytes: def.count * def.size,
      via: WORKLOAD_DEFS[w].via,
      hash: WORKLOAD_DEFS[w].hash ? HASH : null,
      tools,
    };
    // dlpool's time and client CPU against each peer measured in this run (< 1: dlpool is faster / cheaper).
    if (tools.dlpool) {
      results[w].ratio = Object.fromEntries(
        PEERS.filter((p) => tools[p]).map((p) => [
          p,
          {
            time: ratio(tools.dlpool.median_s, tools[p].median_s),
            cpu: ratio(tools.dlpool.cpu_s_median, tools[p].cpu_s_median),
            maxrss: ratio(tools.dlpool.maxrss_mib_median, tools[p].maxrss_mib_median),
          },
        ]),
      );
    }
  }

  server.stopSync();
  state.server = null;
  delay?.stopSync();
  state.delay = null;

  const cpus = os.cpus();
  const meta = {
    date: new Date().toISOString(),
    node: process.version,
    curl: toolVersion('curl', ['--version'])?.split(' ').slice(0, 2).join(' ') ?? null,
    server: { kind: server.kind, version: server.version },
    machine: { cpus: cpus.length, model: cpus[0]?.model ?? null, kernel: os.release() },
    concurrency: J,
    runs: RUNS,
    warmup: WARMUP,
    timing: gnuTime ? '/usr/bin/time -f "%e %U %S %M" (wall clock from the parent)' : 'wall clock only',
    commands: {
      dlpool:
        'node bin/dlpool.js get -j 16 -q [--mode threads -w N] [--hash HASH] [--ca-certificate CA] -d OUT LIST',
      'node-floor': 'node scripts/node-floor.mjs LIST OUT -j 16 [--ca-certificate CA]',
      curl:
        'curl -q [--cacert CA] --no-progress-meter --show-error --fail --parallel --parallel-max 16 ' +
        '--remote-name-all --output-dir OUT -K CURLRC',
      wget2: 'wget2 --no-config --quiet --no-robots --max-threads=16 [--ca-certificate=CA] -i LIST -P OUT',
    },
  };
  const tg = targets(results);

  const md = [
    `## dlpool bench: ${meta.date}`,
    '',
    `Server: ${server.kind}${server.version ? ` (${server.version})` : ''} on ${HOST}; node ${process.version}; ` +
      `${meta.curl ?? 'curl ?'}; ${cpus.length} CPUs; ${RUNS} timed runs per tool after ${WARMUP} warm-up, ` +
      'interleaved; medians of the runs that passed verification.',
    '',
    ...Object.keys(results).map((w) => `${markdownTable(w, results[w])}\n`),
    tg.text,
    '',
  ].join('\n');
  process.stdout.write(md);

  fs.mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
  fs.writeFileSync(
    RESULTS_FILE,
    `${JSON.stringify({ ...meta, workloads: results, targets: tg.json }, null, 2)}\n`,
  );
  log(`wrote ${path.relative(REPO, RESULTS_FILE)}`);
  const failed = Object.values(results).flatMap((r) => Object.values(r.tools).flatMap((t) => t.failures));
  return failed.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code), // 1 when any timed run failed (the tables say which)
  (err) => {
    log(`ERROR: ${err.stack || err.message || err}`);
    const s = state.server;
    if (s?.logFile && fs.existsSync(s.logFile)) {
      const tail = fs.readFileSync(s.logFile, 'utf8').trim();
      if (tail) log(`server log (${s.kind}):\n${tail.split('\n').slice(-10).join('\n')}`);
    }
    process.exit(1);
  },
);
