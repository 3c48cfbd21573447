import { compare, type Comparison, type Part, type Sentence, type Side, when } from './claims.js';
import { type Metric, spreadOf, threshold, type Verdict } from './judge.js';
import type { BenchConfig, BenchConfigResult, BenchStats } from './types.js';

export type Measured = BenchConfigResult & { stats: BenchStats };

export const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
export const pct = (x: number) => `${Math.round(x * 100)} %`;
export const NOT_HIGHER: Verdict[] = ['lower', 'noise', 'few-runs'];

/** The configuration with the lowest median wall time: a fact of the table, not a claim of a difference. */
export function fastest(cs: Measured[]): Measured | undefined {
  return cs.reduce<Measured | undefined>(
    (b, c) => (b === undefined || c.stats.wallMs < b.stats.wallMs ? c : b),
    undefined,
  );
}

export function label(c: BenchConfig): string {
  const w =
    c.mode === 'threads' || c.hashPool === 'threads' || c.hashPool === 'processes' ? ` -w ${c.workers}` : '';
  const h =
    c.hashPool === 'none' ? '' : c.hashPool === 'inline' ? ', hashing inline' : `, hashing in ${c.hashPool}`;
  const x = (c.split ?? 1) > 1 ? ` -x ${c.split}` : '';
  return `${c.mode} -j ${c.concurrency}${x}${w}${h}`;
}

/** Collects one workload's sentences; its comparisons all go through `compare`, so through `judge`. */
export class Explainer {
  readonly sentences: Sentence[] = [];
  constructor(readonly cores: number) {}

  side(c: Measured, m: Metric, name = label(c)): Side {
    return { key: c.key, label: name, spread: spreadOf(c, m, this.cores)! };
  }

  cmp(m: Metric, a: Measured, b: Measured): Comparison {
    return compare(m, this.side(a, m), this.side(b, m));
  }

  /** `c`'s metric against a fixed threshold: how "CPU-bound" and "saturated" are decided. */
  over(c: Measured, m: Metric, t: number): Comparison {
    return compare(m, this.side(c, m), { label: pct(t), spread: threshold(t) });
  }

  say(kind: string, ...parts: (Part | Part[])[]): void {
    this.sentences.push({ kind, parts: parts.flat() });
  }

  /** What a configuration's CPU figures say: I/O-bound, CPU-bound, a saturated loop, or (within noise) nothing. */
  boundness(c: Measured): Part[] {
    const util = this.over(c, 'cpuUtil', 0.8);
    const idle = this.over(c, 'cpuUtil', 0.5);
    const loop = this.over(c, 'elu', 0.9);
    return [
      // The table's figures (CPU % is of the medians); the labels below are judged from the runs' ranges.
      `the CPUs were ${pct(c.stats.cpuUtil)} busy on dlpool's behalf (${s(c.stats.cpuMs)} of CPU in ${s(c.stats.wallMs)} on ${this.cores} cores) and the main event loop ${pct(c.stats.elu)}`,
      ...when(': CPU-bound, the cores were the limit, so more connections cannot help', [util, 'higher']),
      ...when(
        ": the one event loop was saturated (a core's worth of work) while the other cores had room, so a second loop could help if the server and the disk leave it a core",
        [util, ...NOT_HIGHER],
        [loop, 'higher'],
      ),
      ...when(
        ': I/O-bound, the time went to waiting on the network and the disk, which concurrency overlaps',
        [idle, 'lower'],
        [loop, ...NOT_HIGHER],
      ),
    ];
  }
}
