import { isUsableHash } from '../../src/hash/algorithms.js';
import { EnvError, type EnvReader } from '../lib/env.js';
import { REPO, SHARED_BENCH_DEFAULT } from '../lib/paths.js';
import { STARTUP, TOOL_NAMES, type ToolName, WORKLOAD_NAMES, type WorkloadName } from './workloads.js';

/** Everything `npm run bench` (and its presets) reads from the environment, checked. */
export interface CompareConfig {
  /** Timed runs per tool and workload, after `warmup` untimed ones. */
  runs: number;
  warmup: number;
  runTimeoutS: number;
  recentDeleteWaitS: number;
  /** The download workloads, in the order given. */
  workloads: WorkloadName[];
  /** WORKLOADS named 'startup': bare Node, --version and a one-file get, timed STARTUP_RUNS times each. */
  startup: boolean;
  startupRuns: number;
  tools: ToolName[];
  /** Algorithm of the -hash workloads. */
  hash: string;
  /** Another checkout's bin/dlpool.js, run as the tool 'baseline'. */
  baselineBin: string | undefined;
  /** Keep and reuse the corpus here (DIR/www, DIR/lists), else a fresh temp dir. */
  benchDir: string | undefined;
  server: 'auto' | 'nginx' | 'dlpool';
  /** Any other static server: 'CMD --root {root} --port {port}'. */
  serverCmd: string | undefined;
  outBase: string | undefined;
  resultsFile: string;
  /** The shared loopback harness (its delay_server.js serves the latency workload when present). */
  sharedBench: string;
}

/** Named sets of defaults: `bench:threads` and the second half of `bench:hash`. The environment still wins. */
export const PRESETS = {
  bench: {
    workloads: ['small', 'big', 'latency', 'small-https', 'big-https', STARTUP],
    tools: ['dlpool', 'dlpool-http2', 'node-floor', 'curl', 'wget2'],
    results: 'bench-results/latest.json',
  },
  threads: {
    workloads: ['small', 'big', 'small-hash', 'big-hash'],
    tools: ['dlpool', 'dlpool-threads-1', 'dlpool-threads-2', 'dlpool-threads-4', 'curl'],
    results: 'bench-results/threads.json',
  },
  'get-hash': {
    workloads: ['big', 'big-hash'],
    tools: ['dlpool', 'dlpool-hashpool-1', 'dlpool-hashpool-2'],
    results: 'bench-results/get-hash.json',
  },
} as const satisfies Record<
  string,
  { workloads: (WorkloadName | typeof STARTUP)[]; tools: ToolName[]; results: string }
>;
export type PresetName = keyof typeof PRESETS;

export function readCompareConfig(env: EnvReader, preset: PresetName): CompareConfig {
  const p = PRESETS[preset];
  const baselineBin = env.path('BASELINE_BIN', undefined, process.cwd());
  const hash = env.string('HASH', 'sha256');
  if (!isUsableHash(hash))
    throw new EnvError('HASH', `must be a node:crypto hash (e.g. sha256), got '${hash}'`);
  const tools = env.list<ToolName>(
    'TOOLS',
    [...p.tools, ...(baselineBin ? ['baseline' as const] : [])],
    TOOL_NAMES,
  );
  if (tools.includes('baseline') && !baselineBin)
    throw new EnvError('TOOLS', "has 'baseline' but BASELINE_BIN is unset");
  const named = env.list<WorkloadName | typeof STARTUP>('WORKLOADS', p.workloads, [
    ...WORKLOAD_NAMES,
    STARTUP,
  ]);
  return {
    runs: env.int('RUNS', 5),
    warmup: env.int('WARMUP', 1),
    runTimeoutS: env.int('RUN_TIMEOUT', 300, { min: 1 }),
    recentDeleteWaitS: env.int('RECENT_DELETE_WAIT', 65),
    workloads: named.filter((w): w is WorkloadName => w !== STARTUP),
    startup: named.includes(STARTUP),
    startupRuns: env.int('STARTUP_RUNS', 30, { min: 1 }),
    tools,
    hash,
    baselineBin,
    benchDir: env.path('BENCH_DIR', undefined, process.cwd()),
    server: env.oneOf('SERVER', 'auto', ['auto', 'nginx', 'dlpool'] as const),
    serverCmd: env.raw('SERVER_CMD'),
    outBase: env.path('OUT_BASE', undefined, process.cwd()),
    resultsFile: env.path('RESULTS', p.results, REPO),
    sharedBench: env.path('SHARED_BENCH', SHARED_BENCH_DEFAULT, process.cwd()),
  };
}
