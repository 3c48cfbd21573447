import type { BenchConfigResult } from './types.js';

/**
 * Verified runs each side needs before a difference is claimed. Under the min-max rule, two sets of 3 runs of
 * the same configuration fail to overlap 1 time in 10 (2 / C(6,3): all three of one below all three of the
 * other); sets of 2 do so 1 time in 3, and single runs always, so fewer runs than this claim nothing.
 */
export const MIN_RUNS = 3;

/** A measure over a configuration's verified runs: the median the tables show and the range claims use. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  /** Runs measured; Infinity for a fixed threshold. */
  n: number;
}

export type Metric = 'wall' | 'cpu' | 'cpuUtil' | 'elu';

/** How `a` stands against `b`; `few-runs` when either side has fewer than MIN_RUNS runs. */
export type Verdict = 'lower' | 'higher' | 'noise' | 'few-runs';

export const VERDICTS: readonly Verdict[] = ['lower', 'higher', 'noise', 'few-runs'];

/**
 * The one rule every claim of the explanation goes through: `a` is lower (or higher) than `b` only when their
 * min-max ranges do not overlap, and both rest on MIN_RUNS runs or more. The range rather than a t interval:
 * with 3 runs a 95 % t interval is ±4.3 standard errors of a standard deviation that 3 runs barely estimate,
 * while the range is what the table prints, so a reader can check every claim against it.
 */
export function judge(a: Spread, b: Spread): Verdict {
  if (a.n < MIN_RUNS || b.n < MIN_RUNS) return 'few-runs';
  if (a.max < b.min) return 'lower';
  if (a.min > b.max) return 'higher';
  return 'noise';
}

/** A fixed threshold as a spread, so that "CPU-bound" goes through judge like any difference. */
export function threshold(x: number): Spread {
  return { median: x, min: x, max: x, n: Infinity };
}

/** Median, min and max of `xs`; undefined for none. */
export function spread(xs: readonly number[]): Spread | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  const median = s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
  return { median, min: s[0]!, max: s.at(-1)!, n: s.length };
}

/** Per-run values of a metric over the runs that passed verification (those the medians are taken over). */
export function runValues(c: BenchConfigResult, m: Metric, cores: number): number[] {
  return c.runs
    .filter((r) => r.ok && r.wallMs !== undefined)
    .map((r) => {
      const cpu = (r.cpuUserMs ?? 0) + (r.cpuSystemMs ?? 0) + (r.childCpuMs ?? 0);
      if (m === 'wall') return r.wallMs!;
      if (m === 'cpu') return cpu;
      if (m === 'elu') return r.elu ?? 0;
      return cpu / r.wallMs! / cores;
    });
}

/** A configuration's spread of one metric; a configuration with no verified run has none. */
export function spreadOf(c: BenchConfigResult, m: Metric, cores: number): Spread | undefined {
  return spread(runValues(c, m, cores));
}
