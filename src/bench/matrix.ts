import { type EngineMode, HASH_POOL_KINDS } from '../options.js';
import type { BenchConfig, BenchHashPool } from './types.js';

export interface MatrixAxes {
  modes: EngineMode[];
  concurrency: number[];
  workers: number[];
  hashPools: BenchHashPool[];
  /** -x values; each above 1 adds one configuration at the reference -j. */
  split: number[];
}

/** Every hash pool a bench measures: none (no hashing) and each kind. */
export const BENCH_HASH_POOLS: readonly BenchHashPool[] = ['none', ...HASH_POOL_KINDS];

export const DEFAULT_AXES: MatrixAxes = {
  modes: ['async', 'threads'],
  concurrency: [1, 4, 16, 64],
  workers: [1, 2, 4],
  hashPools: [...BENCH_HASH_POOLS],
  split: [1],
};

export function configKey(c: Omit<BenchConfig, 'key'>): string {
  const w =
    c.mode === 'threads' || c.hashPool === 'threads' || c.hashPool === 'processes' ? ` -w ${c.workers}` : '';
  const x = (c.split ?? 1) > 1 ? ` -x ${c.split}` : '';
  return `${c.mode} -j ${c.concurrency}${x}${w} hash=${c.hashPool}`;
}

/**
 * The configurations to run, without the full cross product: a concurrency sweep (sequential -j 1 against
 * concurrent) in the first mode, download threads at each worker count, and hashing inline against each pool
 * at each worker count, all at one reference concurrency (16 when given, else the largest).
 */
export function buildMatrix(axes: MatrixAxes): BenchConfig[] {
  const { modes, concurrency, workers, hashPools, split } = axes;
  const refJ = concurrency.includes(16) ? 16 : Math.max(...concurrency);
  const plain: BenchHashPool = hashPools.includes('none') ? 'none' : hashPools[0]!;
  const first = modes[0]!;
  const out = new Map<string, BenchConfig>();
  const add = (c: Omit<BenchConfig, 'key'>) => {
    const key = configKey(c);
    if (!out.has(key)) out.set(key, { key, ...c });
  };
  const w0 = workers[0]!;
  for (const j of concurrency) add({ mode: first, concurrency: j, workers: w0, hashPool: plain });
  if (modes.includes('threads')) {
    for (const w of workers) add({ mode: 'threads', concurrency: refJ, workers: w, hashPool: plain });
  }
  if (modes.includes('async')) add({ mode: 'async', concurrency: refJ, workers: w0, hashPool: plain });
  // Within a file (-x) against across files (-j): the same -j, each large file split into x ranges.
  for (const x of split) {
    if (x > 1) add({ mode: first, concurrency: refJ, workers: w0, hashPool: plain, split: x });
  }
  for (const hp of hashPools) {
    if (hp === 'none') continue;
    if (hp === 'inline') {
      if (modes.includes('async')) add({ mode: 'async', concurrency: refJ, workers: w0, hashPool: 'inline' });
      if (modes.includes('threads')) {
        for (const w of workers) add({ mode: 'threads', concurrency: refJ, workers: w, hashPool: 'inline' });
      }
    } else {
      for (const w of workers) add({ mode: first, concurrency: refJ, workers: w, hashPool: hp });
    }
  }
  return [...out.values()];
}
