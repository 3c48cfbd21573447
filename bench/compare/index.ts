import type { BenchEntry } from '../lib/main.js';
import { type CompareConfig, type PresetName, readCompareConfig } from './config.js';
import { runCompare } from './run.js';

/**
 * `npm run bench` (preset 'bench'), `npm run bench:threads` ('threads': async against --mode threads -w 1/2/4,
 * with and without hashing, beside curl) and the second half of `npm run bench:hash` ('get-hash'). Knobs: see
 * config.ts and README "Benchmark".
 */
export function compareEntry(preset: PresetName): BenchEntry<CompareConfig> {
  return {
    name: preset === 'bench' ? 'bench' : `bench:${preset}`,
    configure: (env) => readCompareConfig(env, preset),
    run: runCompare,
  };
}
