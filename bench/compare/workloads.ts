import type { BenchConfig } from '../../src/bench/types.js';
import type { EngineMode } from '../../src/options.js';

/**
 * What `npm run bench` measures: corpus sets, workloads over them, and the tools. Concurrency is 16 for every
 * tool (-j 16 / --parallel-max 16 / --max-threads=16).
 */
export const J = 16;

/** Milliseconds the latency workload holds back each response (and the first on each connection, again). */
export const LATENCY_MS = 40;

export interface CorpusSet {
  count: number;
  size: number;
  name(i: number): string;
}

export const SETS = {
  small: { count: 2000, size: 16 * 1024, name: (i: number) => `s${String(i).padStart(4, '0')}.bin` },
  big: { count: 8, size: 64 * 1024 * 1024, name: (i: number) => `b${i}.bin` },
} as const satisfies Record<string, CorpusSet>;
export type SetName = keyof typeof SETS;

/** Where a workload's files come from: plain nginx, nginx over TLS, or the delay server. */
export type Via = 'http' | 'https' | 'latency';

export interface WorkloadDef {
  set: SetName;
  /** dlpool also digests every file (HASH); the peers have no hashing, so only dlpool runs these. */
  hash: boolean;
  via: Via;
}

export const WORKLOADS = {
  small: { set: 'small', hash: false, via: 'http' },
  big: { set: 'big', hash: false, via: 'http' },
  latency: { set: 'small', hash: false, via: 'latency' },
  'small-https': { set: 'small', hash: false, via: 'https' },
  'big-https': { set: 'big', hash: false, via: 'https' },
  'small-hash': { set: 'small', hash: true, via: 'http' },
  'big-hash': { set: 'big', hash: true, via: 'http' },
} as const satisfies Record<string, WorkloadDef>;
export type WorkloadName = keyof typeof WORKLOADS;
export const WORKLOAD_NAMES = Object.keys(WORKLOADS) as WorkloadName[];

/**
 * The start-up workload: bare Node, `--version` and a one-file `get` (the small set's first file into an empty
 * folder), of this build and of BASELINE_BIN's, timed in interleaved rounds.
 */
export const STARTUP_ROWS = [
  'node -e 0',
  'dlpool --version',
  'dlpool get',
  'baseline --version',
  'baseline get',
] as const;
export type StartupRow = (typeof STARTUP_ROWS)[number];
/** The name WORKLOADS takes for it beside the download workloads. */
export const STARTUP = 'startup';

/**
 * dlpool's variants, as points of `dlpool bench`'s modes x workers x hash-pool matrix (src/bench/matrix.ts):
 * their `dlpool get` flags come from its configArgs(). `hashPool` applies to the hashing workloads only.
 */
interface Variant {
  mode: EngineMode;
  workers: number;
  hashPool: 'inline' | 'threads';
  /** Offers h2 (--http2): run on the https workloads only, where ALPN can choose it. */
  http2?: true;
}
export const DLPOOL_VARIANTS = {
  dlpool: { mode: 'async', workers: 1, hashPool: 'inline' },
  'dlpool-threads-1': { mode: 'threads', workers: 1, hashPool: 'inline' },
  'dlpool-threads-2': { mode: 'threads', workers: 2, hashPool: 'inline' },
  'dlpool-threads-4': { mode: 'threads', workers: 4, hashPool: 'inline' },
  // async downloads, digests in a pool of 1 or 2 worker threads (for the -hash workloads)
  'dlpool-hashpool-1': { mode: 'async', workers: 1, hashPool: 'threads' },
  'dlpool-hashpool-2': { mode: 'async', workers: 2, hashPool: 'threads' },
  'dlpool-http2': { mode: 'async', workers: 1, hashPool: 'inline', http2: true },
} as const satisfies Record<string, Variant>;
export type VariantName = keyof typeof DLPOOL_VARIANTS;

/** The tools dlpool is compared with; one that is not installed is reported as skipped. */
export const PEERS = ['node-floor', 'curl', 'wget2', 'baseline'] as const;
export type PeerName = (typeof PEERS)[number];
export type ToolName = VariantName | PeerName;
export const TOOL_NAMES: readonly ToolName[] = [...(Object.keys(DLPOOL_VARIANTS) as VariantName[]), ...PEERS];

export function isVariant(tool: ToolName): tool is VariantName {
  return tool in DLPOOL_VARIANTS;
}

/** The matrix point of a dlpool variant on a workload. */
export function variantConfig(tool: VariantName, hashes: boolean): Omit<BenchConfig, 'key'> {
  const v: Variant = DLPOOL_VARIANTS[tool];
  return { mode: v.mode, concurrency: J, workers: v.workers, hashPool: hashes ? v.hashPool : 'none' };
}

/** `dlpool get` flags of a variant beyond its matrix point. */
export function variantExtraArgs(tool: VariantName): string[] {
  const v: Variant = DLPOOL_VARIANTS[tool];
  return v.http2 ? ['--http2'] : [];
}

/**
 * The tools that run a workload: every tool, but only dlpool's variants on the hashing ones, and the --http2
 * variant only over TLS (on http: it would be the plain dlpool row again).
 */
export function toolsFor(w: WorkloadName, tools: readonly ToolName[]): ToolName[] {
  const { hash, via } = WORKLOADS[w];
  return tools.filter(
    (t) => (isVariant(t) || !hash) && (via === 'https' || !isVariant(t) || variantExtraArgs(t).length === 0),
  );
}
