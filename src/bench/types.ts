import type { EngineMode, HashPoolKind } from '../options.js';

/** Where hashing happens in a configuration; `none` downloads without digests. */
export type BenchHashPool = 'none' | HashPoolKind;

/** One point of the matrix: how `dlpool get` is run. */
export interface BenchConfig {
  /** Stable label, e.g. `async -j 16 hash=threads -w 2`. */
  key: string;
  mode: EngineMode;
  concurrency: number;
  /** Download threads (threads mode) and hash-pool size; 1 when neither uses it. */
  workers: number;
  hashPool: BenchHashPool;
  /** Connections per large file (-x); 1 is off. Absent in reports written before the axis existed. */
  split?: number | undefined;
}

/** What one run measured (the probe process reports these). */
export interface RunMetrics {
  wallMs: number;
  /** CPU of the probe process: the main thread and every worker thread. */
  cpuUserMs: number;
  cpuSystemMs: number;
  /** CPU of child processes (the `processes` hash pool), counted once they have exited. */
  childCpuMs: number;
  /** Main event loop utilisation over the run (0..1), from performance.eventLoopUtilization(). */
  elu: number;
  /** Peak resident memory of the probe process (threads included, child processes not). */
  maxRssMiB: number;
  downloaded: number;
  failed: number;
  bytes: number;
}

export interface BenchRun extends Partial<RunMetrics> {
  ok: boolean;
  /** Why the run does not count: a failed download, a missing file, a digest that does not match. */
  failure?: string | undefined;
  /** The temporary output directory (removed after verification). */
  dir: string;
}

/** Medians over the runs that passed verification. */
export interface BenchStats {
  wallMs: number;
  cpuMs: number;
  /** CPU time / wall time / cores: how busy the whole machine's CPUs were on dlpool's behalf. */
  cpuUtil: number;
  elu: number;
  maxRssMiB: number;
  mibPerSec: number;
  filesPerSec: number;
}

export interface BenchConfigResult extends BenchConfig {
  runs: BenchRun[];
  /** True when every run passed verification; a configuration with a failed run cannot be recommended. */
  ok: boolean;
  stats: BenchStats | undefined;
}

export interface BenchWorkloadResult {
  name: string;
  description: string;
  files: number;
  bytes: number;
  configs: BenchConfigResult[];
  /** Sentences derived from this workload's measurements. */
  explanation: string[];
  /** The fastest verified configuration as a command line, with the fastest that hashes every file when that is another. */
  recommendation: string | undefined;
}

export interface BenchReport {
  date: string;
  node: string;
  cores: number;
  cpuModel: string | undefined;
  runsPerConfig: number;
  workloads: BenchWorkloadResult[];
}
