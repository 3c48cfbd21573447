import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { openFds, procMemory } from '../src/bench/proc.js';
import { round } from '../src/bench/stats.js';
import type { EnvReader } from './lib/env.js';
import { createsPerSecond, syncFs } from './lib/files.js';
import { log, sleep } from './lib/log.js';
import type { BenchEntry, Harness } from './lib/main.js';
import { DLPOOL_BIN, REPO } from './lib/paths.js';
import { childEnv, startDlpoolServe } from './lib/processes.js';
import {
  judgeScale,
  scaleTargetLines,
  TARGET_PEAK_RSS_MIB,
  TARGET_URLS,
  TARGET_URLS_PER_S,
  type ScaleVerdicts,
} from './scale-targets.js';
import { makeFolders } from '../src/common/make-folders.js';

/**
 * `npm run bench:scale`: one list of N URLs of tiny synthetic files from a loopback `dlpool serve` in its own
 * process, downloaded by `dlpool get LIST -j J --json` in each mode. Measures the dlpool process only: wall
 * time, peak RSS (VmHWM) and the most open file descriptors (/proc, sampled every SAMPLE_MS), then checks the
 * streamed --json document and the files on disk. Linux only.
 */
export interface ScaleConfig {
  n: number;
  j: number;
  /** Bytes per file, as `dlpool serve` reads sizes (0, 16, 1K, ...). */
  size: string;
  modes: ('async' | 'threads')[];
  /** -w for --mode threads; dlpool's default when undefined. */
  workers: number | undefined;
  sampleMs: number;
  resultsFile: string;
  keep: boolean;
}

/** A run over these is not ok (a leak, fds not bounded by -j), whatever the targets in scale-targets.ts. */
const TARGET_RSS_MIB = 300;
/**
 * stdio, the list file, the event loop's epoll/eventfd/pipes, worker-thread ports: what -j does not count (the
 * program's own code files, open at once while it loads, are not counted at all).
 */
const FD_ALLOWANCE = 32;

export function readScaleConfig(env: EnvReader): ScaleConfig {
  return {
    n: env.int('N', 1_000_000, { min: 1 }),
    j: env.int('J', 64, { min: 1 }),
    size: env.size('SIZE', '0').text,
    modes: env.list('MODES', ['async', 'threads'], ['async', 'threads'] as const),
    workers: env.optionalInt('W', { min: 1 }),
    sampleMs: env.int('SAMPLE_MS', 200, { min: 1 }),
    resultsFile: env.path('RESULTS', 'bench-results/scale.json', REPO),
    keep: env.flag('KEEP', false),
  };
}

/** One mode's run, as written to bench-results/scale.json. */
export interface ScaleRun {
  mode: 'async' | 'threads';
  urls: number;
  j: number;
  workers?: number | 'default' | undefined;
  exitCode: number | null;
  wallS: number;
  urlsPerS: number;
  peakRssMiB: number;
  maxFds: number;
  fdLimit: number;
  threads: number;
  json: JsonCheck;
  files: { complete: number; part: number };
  rssSamples: { s: number; rssMiB: number; fds: number | undefined }[];
  ok: boolean;
  /** Against the targets (scale-targets.ts); n/a at another N. */
  verdicts: ScaleVerdicts;
}

export interface ScaleReport {
  started: string;
  node: string;
  cores: number;
  n: number;
  j: number;
  size: string;
  /** Empty files the work folder's file system created per second before the runs (each URL costs one). */
  createsPerS?: number | undefined;
  targets: { peakRssMiB: number; maxFds: string; at: number; urlsPerS: number; targetPeakRssMiB: number };
  runs: ScaleRun[];
}

export const scaleEntry: BenchEntry<ScaleConfig> = {
  name: 'bench:scale',
  configure: readScaleConfig,
  async run(cfg, h) {
    if (!fs.existsSync('/proc/self/status')) throw new Error('bench:scale needs Linux /proc');
    const work = h.scope.tempDir('dlpool-bench-scale-', { keep: cfg.keep });
    if (cfg.keep) h.scope.defer(() => log(`kept ${work}`));
    const started = new Date().toISOString();
    const srv = await startDlpoolServe(h.scope, { env: h.env });
    log(`server ${srv.url} (pid ${srv.child.pid}); writing a list of ${cfg.n} URLs (${cfg.size} bytes each)`);
    const list = path.join(work, 'list.txt');
    await writeList(list, srv.url, cfg);
    syncFs(work); // the list, written back before the probe and the runs
    const createsPerS = createsPerSecond(work);
    log(`file creation in ${work}: ${createsPerS} files/s`);
    const runs: ScaleRun[] = [];
    for (const mode of cfg.modes) {
      log(`${mode}: dlpool get LIST -j ${cfg.j} --json`);
      const r = await runMode(cfg, h, mode, list, work);
      runs.push(r);
      log(
        `${mode}: ${r.ok ? 'ok' : 'NOT OK'}: ${r.wallS} s, ${r.urlsPerS} URLs/s, peak RSS ${r.peakRssMiB} MiB, max ${r.maxFds} fds`,
      );
    }
    const report: ScaleReport = {
      started,
      node: process.version,
      cores: os.availableParallelism(),
      n: cfg.n,
      j: cfg.j,
      size: cfg.size,
      createsPerS,
      targets: {
        peakRssMiB: TARGET_RSS_MIB,
        maxFds: `j + ${FD_ALLOWANCE}`,
        at: TARGET_URLS,
        urlsPerS: TARGET_URLS_PER_S,
        targetPeakRssMiB: TARGET_PEAK_RSS_MIB,
      },
      runs,
    };
    makeFolders(path.dirname(cfg.resultsFile));
    fs.writeFileSync(cfg.resultsFile, `${JSON.stringify(report, null, 2)}\n`);
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
        ...scaleTargetLines(runs),
        '',
      ].join('\n'),
    );
    log(`wrote ${path.relative(REPO, cfg.resultsFile)}`);
    return runs.every((r) => r.ok) ? 0 : 1;
  },
};

/** The list: one URL per line, distinct names, so the default naming puts N files in one folder. */
async function writeList(file: string, base: string, cfg: ScaleConfig): Promise<void> {
  const out = fs.createWriteStream(file);
  const width = String(cfg.n).length;
  for (let i = 1; i <= cfg.n; i += 10_000) {
    let chunk = '';
    for (let k = i; k < Math.min(cfg.n + 1, i + 10_000); k++) {
      chunk += `${base}gen/${cfg.size}/f${String(k).padStart(width, '0')}.bin\n`;
    }
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));
}

async function runMode(
  cfg: ScaleConfig,
  h: Harness,
  mode: 'async' | 'threads',
  list: string,
  work: string,
): Promise<ScaleRun> {
  const dir = fs.mkdtempSync(path.join(work, `out-${mode}-`));
  const jsonFile = path.join(work, `${mode}.json`);
  const args = [DLPOOL_BIN, 'get', list, '-d', dir, '-j', String(cfg.j), '--json', '--retries', '2'];
  if (mode !== 'async') args.push('--mode', mode);
  if (mode === 'threads' && cfg.workers !== undefined) args.push('-w', String(cfg.workers));
  const stdout = fs.openSync(jsonFile, 'w');
  const t0 = performance.now();
  const child = h.scope.spawn(process.execPath, args, {
    env: childEnv(h.env),
    stdio: ['ignore', stdout, 'pipe'],
  });
  fs.closeSync(stdout);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => r({ code, signal })),
  );
  let done = false;
  void exited.then(() => (done = true));
  const peak = { hwmKiB: 0, rssKiB: 0, fds: 0, threads: 0 };
  const samples: ScaleRun['rssSamples'] = [];
  let lastLog = 0;
  while (!done) {
    const st = procMemory(child.pid!);
    const fds = openFds(child.pid!, path.join(REPO, 'dist'));
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
    await sleep(cfg.sampleMs);
  }
  const { code, signal } = await exited;
  const wallMs = performance.now() - t0;
  if (code !== 0) log(`  ${mode}: exit ${code ?? signal}; stderr: ${stderr.trim().slice(-1000)}`);
  log(`  ${mode}: checking the --json output and the files`);
  const json = await checkJson(jsonFile);
  const files = countFiles(dir);
  const peakRssMiB = round(Math.max(peak.hwmKiB, peak.rssKiB) / 1024, 1);
  const fdLimit = cfg.j + FD_ALLOWANCE;
  const run: Omit<ScaleRun, 'verdicts'> = {
    mode,
    urls: cfg.n,
    j: cfg.j,
    workers: mode === 'threads' ? (cfg.workers ?? 'default') : undefined,
    exitCode: code,
    wallS: round(wallMs / 1000, 1),
    urlsPerS: Math.round(cfg.n / (wallMs / 1000)),
    peakRssMiB,
    maxFds: peak.fds,
    fdLimit,
    threads: peak.threads,
    json,
    files,
    rssSamples: samples,
    ok:
      code === 0 &&
      json.valid &&
      json.results === cfg.n &&
      json.totals?.downloaded === cfg.n &&
      json.totals?.failed === 0 &&
      files.complete === cfg.n &&
      files.part === 0 &&
      peakRssMiB < TARGET_RSS_MIB &&
      peak.fds <= fdLimit,
  };
  return { ...run, verdicts: judgeScale(run) };
}

export interface JsonCheck {
  valid: boolean;
  problem: string | undefined;
  lines: number;
  results: number;
  totals: { downloaded?: number; failed?: number } | undefined;
}

/**
 * The --json document, checked without parsing 1M entries at once: `{"results":[` on the first line, one
 * result object per line (every one after the first starts with a comma), then `],"downloaded":...}`. Each
 * line is parsed on its own, which, with that layout, shows the whole text is one valid JSON document.
 */
export async function checkJson(file: string): Promise<JsonCheck> {
  const rl = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  let n = 0;
  let results = 0;
  let first: string | undefined;
  let last: string | undefined;
  let problem: string | undefined;
  for await (const line of rl) {
    n++;
    if (n === 1) first = line;
    else if (line.startsWith(']')) last = line;
    else if (last !== undefined) problem ??= `line ${n}: text after the end`;
    else {
      try {
        const text = results === 0 ? line : line.startsWith(',') ? line.slice(1) : '(no comma)';
        const o = JSON.parse(text) as { url?: unknown; status?: unknown };
        if (typeof o.url !== 'string' || typeof o.status !== 'string') throw new Error('not a result');
        results++;
      } catch (e) {
        problem ??= `line ${n}: ${(e as Error).message}`;
      }
    }
  }
  let totals: JsonCheck['totals'];
  try {
    if (last === undefined || !last.startsWith('],')) throw new Error('no closing line');
    totals = JSON.parse(`{${last.slice(2)}`) as JsonCheck['totals'];
  } catch (e) {
    problem ??= `totals: ${(e as Error).message}`;
  }
  const valid = first === '{"results":[' && problem === undefined;
  return { valid, problem, lines: n, results, totals };
}

/** Complete files and .part leftovers in `dir`, read in batches (a million entries never sit in one array). */
function countFiles(dir: string): { complete: number; part: number } {
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
