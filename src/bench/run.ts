import { spawn } from 'node:child_process';
import { packageUrl } from '../paths.js';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { download } from '../download.js';
import { explain, recommendation } from './explain.js';
import { MIN_RUNS } from './judge.js';
import { buildMatrix, type MatrixAxes } from './matrix.js';
import { median, runStats } from './stats.js';
import type {
  BenchConfig,
  BenchConfigResult,
  BenchReport,
  BenchRun,
  BenchWorkloadResult,
  RunMetrics,
} from './types.js';
import { listFiles, sha256File, verifyDir } from './verify-dir.js';

/** A list to benchmark and the bytes every run must end up with. */
export interface BenchWorkload {
  name: string;
  description: string;
  sources: string[];
  /** sha256 of every file a run must produce, by path relative to the output directory. */
  expected: ReadonlyMap<string, string>;
  /** Total bytes, when known up front; otherwise taken from the runs. */
  bytes?: number | undefined;
}

export type BenchEvent =
  | { type: 'workload'; name: string; configs: number; runs: number }
  | { type: 'run'; workload: string; config: string; round: number; run: BenchRun }
  /** Every configuration has run `round` times; `elapsedMs` is the workload's time so far. */
  | { type: 'round'; workload: string; round: number; runs: number; elapsedMs: number };

export interface BenchOptions {
  workloads: BenchWorkload[];
  axes: MatrixAxes;
  /** Timed runs per configuration; the median and min-max are reported. @default 3 (MIN_RUNS) */
  runs?: number;
  /** Where the per-run output directories are made (each fresh, removed after verification). */
  tmpRoot?: string;
  onEvent?: (e: BenchEvent) => void;
  signal?: AbortSignal;
}

// The probe runs compiled, bundled JS (also under the test runner, and from the bundled CLI).
const PROBE = fileURLToPath(packageUrl('dist/dlpool-bench-probe.js'));

/** Runs every configuration of the matrix on every workload, verifying each run's files. */
export async function runBench(o: BenchOptions): Promise<BenchReport> {
  const runs = o.runs ?? MIN_RUNS;
  const configs = buildMatrix(o.axes);
  const tmpRoot = o.tmpRoot ?? os.tmpdir();
  const workloads: BenchWorkloadResult[] = [];
  for (const w of o.workloads) {
    o.onEvent?.({ type: 'workload', name: w.name, configs: configs.length, runs });
    const results: BenchConfigResult[] = configs.map((c) => ({ ...c, runs: [], ok: true, stats: undefined }));
    // Rounds, not blocks: every configuration sees the same drift of a noisy machine.
    const start = performance.now();
    for (let round = 1; round <= runs; round++) {
      for (const r of results) {
        if (o.signal?.aborted) throw o.signal.reason;
        const run = await timedRun(r, w, tmpRoot);
        r.runs.push(run);
        o.onEvent?.({ type: 'run', workload: w.name, config: r.key, round, run });
      }
      o.onEvent?.({ type: 'round', workload: w.name, round, runs, elapsedMs: performance.now() - start });
    }
    const okBytes = results.flatMap((r) =>
      r.runs.filter((x) => x.ok && x.bytes !== undefined).map((x) => x.bytes!),
    );
    const bytes = w.bytes ?? median(okBytes) ?? 0;
    for (const r of results) {
      r.ok = r.runs.every((x) => x.ok);
      r.stats = runStats(r.runs, w.expected.size, bytes, os.availableParallelism());
    }
    const result: BenchWorkloadResult = {
      name: w.name,
      description: w.description,
      files: w.expected.size,
      bytes,
      configs: results,
      explanation: [],
      recommendation: undefined,
    };
    const e = explain(result, os.availableParallelism());
    result.explanation = e.lines;
    result.recommendation = recommendation(e);
    workloads.push(result);
  }
  return {
    date: new Date().toISOString(),
    node: process.version,
    cores: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model,
    runsPerConfig: runs,
    workloads,
  };
}

async function timedRun(config: BenchConfig, w: BenchWorkload, tmpRoot: string): Promise<BenchRun> {
  const dir = await fsp.mkdtemp(path.join(tmpRoot, 'dlpool-bench-run-'));
  try {
    let metrics: RunMetrics;
    try {
      metrics = await probe(config, w.sources, dir);
    } catch (err) {
      return { ok: false, failure: err instanceof Error ? err.message : String(err), dir };
    }
    const bad =
      metrics.failed > 0 ? `${metrics.failed} download(s) failed` : await verifyDir(dir, w.expected);
    return { ...metrics, ok: bad === undefined, failure: bad, dir };
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

function probe(config: BenchConfig, sources: string[], dir: string): Promise<RunMetrics> {
  return new Promise((resolve, reject) => {
    // (The probe downloads with proxy: 'none': a bench measures dlpool, not a proxy.)
    const child = spawn(process.execPath, [PROBE, JSON.stringify({ config, sources, dir })], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.once('error', reject);
    child.once('close', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{')) {
        reject(new Error(`probe exited ${code}: ${err.trim().split('\n').pop() ?? ''}`));
        return;
      }
      resolve(JSON.parse(line) as RunMetrics);
    });
  });
}

/**
 * The digests a list must produce, from one untimed reference download (async, -j 4), itself checked against
 * `checksums` when given. Every timed run is compared with it, so a configuration that gets different bytes
 * cannot win.
 */
export async function referenceDigests(
  sources: string[],
  checksums?: string | undefined,
  tmpRoot = os.tmpdir(),
): Promise<Map<string, string>> {
  const dir = await fsp.mkdtemp(path.join(tmpRoot, 'dlpool-bench-ref-'));
  try {
    // With a checksum file the reference itself is verified against it.
    const summary = await download({ sources, dir, concurrency: 4, progressIntervalMs: 1000, checksums });
    if (summary.failed > 0) {
      const first = summary.results.find((r) => r.status === 'failed');
      throw new Error(`the reference download failed: ${first?.error?.message ?? 'unknown error'}`);
    }
    const out = new Map<string, string>();
    for (const f of await listFiles(dir)) out.set(f, await sha256File(path.join(dir, f)));
    return out;
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}
