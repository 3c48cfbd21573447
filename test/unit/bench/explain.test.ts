import { describe, expect, it } from 'vitest';
import { explain, recommendation } from '../../../src/bench/explain.js';
import { configKey } from '../../../src/bench/matrix.js';
import type { BenchConfigResult, BenchHashPool, BenchWorkloadResult } from '../../../src/bench/types.js';
import type { EngineMode } from '../../../src/options.js';

/**
 * A measured configuration: `n` runs whose wall time, CPU time and loop use spread evenly by `jitter` (a
 * fraction) around the medians given.
 */
function cfg(
  mode: EngineMode,
  j: number,
  w: number,
  hashPool: BenchHashPool,
  wallMs: number,
  cpuMs: number,
  elu: number,
  n = 3,
  jitter = 0.02,
) {
  const c = { mode, concurrency: j, workers: w, hashPool };
  const f = (i: number) => (n === 1 ? 1 : 1 + jitter * ((2 * i) / (n - 1) - 1));
  return {
    ...c,
    key: configKey(c),
    ok: true,
    runs: Array.from({ length: n }, (_, i) => ({
      ok: true,
      dir: '/x',
      wallMs: wallMs * f(i),
      cpuUserMs: cpuMs * f(i),
      cpuSystemMs: 0,
      childCpuMs: 0,
      elu: Math.min(1, elu * f(i)),
    })),
    stats: { wallMs, cpuMs, cpuUtil: cpuMs / wallMs / 2, elu, maxRssMiB: 100, mibPerSec: 1, filesPerSec: 1 },
  } satisfies BenchConfigResult;
}

function workload(configs: BenchConfigResult[]): BenchWorkloadResult {
  return {
    name: 'w',
    description: 'd',
    files: 10,
    bytes: 1e9,
    configs,
    explanation: [],
    recommendation: undefined,
  };
}

/**
 * A new user's table from `--demo --workloads many-small --modes async -j 4,16`: the process pool's -w 2 has the
 * lowest median between -w 1 and -w 4, and inline hashing's one run beat the run without hashing. Traps for an
 * explainer that reads single numbers: "more workers did not help", "no more CPU", a pool recommended.
 */
function newUser(n: number, jitter: number) {
  return workload([
    cfg('async', 4, 1, 'none', 2600, 1500, 0.7, n, jitter),
    cfg('async', 16, 1, 'none', 2400, 1500, 0.75, n, jitter),
    cfg('async', 16, 1, 'inline', 2070, 1450, 0.8, n, jitter),
    cfg('async', 16, 1, 'threads', 2200, 1700, 0.7, n, jitter),
    cfg('async', 16, 2, 'threads', 2300, 1800, 0.7, n, jitter),
    cfg('async', 16, 4, 'threads', 2500, 1900, 0.7, n, jitter),
    cfg('async', 16, 1, 'processes', 1670, 1900, 0.6, n, jitter),
    cfg('async', 16, 2, 'processes', 1470, 2000, 0.6, n, jitter),
    cfg('async', 16, 4, 'processes', 2300, 2200, 0.6, n, jitter),
  ]);
}

describe('bench explanation: the new user case', () => {
  it('with one run: no verdict word, no "no more CPU", nothing recommended, and one line saying why', () => {
    const e = explain(newUser(1, 0), 2);
    const text = e.lines.join('\n');
    expect(text).not.toMatch(/did not help|no more CPU|faster|slower|helped|CPU-bound|I\/O-bound/);
    expect(recommendation(e)).toBeUndefined();
    expect(e.lines.filter((l) => /run\(s\)/.test(l))).toEqual([
      'With 1 verified run(s) of a configuration no difference below is claimed and nothing is recommended: a difference counts only where the min-max ranges of 3 or more runs do not overlap (--runs 3).',
    ]);
  });

  it('with three runs, -w 2 of the process pool is faster than -w 4 beyond noise and never "did not help"', () => {
    const e = explain(newUser(3, 0.1), 2);
    const text = e.lines.join('\n');
    expect(text).not.toMatch(/did not help/);
    const pool = e.lines.find((l) => l.startsWith('Hashing in a child-process pool'))!;
    expect(pool).toContain('-w 2, the lowest median, was faster beyond noise than -w 4 (2.070-2.530 s)');
    expect(pool).toContain('within noise of -w 1 (1.503-1.837 s)');
    expect(recommendation(e)).toBe(
      'dlpool get -j 16 --hash sha256 --hash-pool processes -w 2 LIST (or the 1 configuration within noise of it)',
    );
  });
});

describe('bench explanation: readings', () => {
  it('reads I/O-bound concurrency, losing threads and a winning pool from the numbers', () => {
    const { lines, best, bestHashing } = explain(
      workload([
        cfg('async', 1, 1, 'none', 4000, 300, 0.05),
        cfg('async', 16, 1, 'none', 400, 300, 0.5),
        cfg('threads', 16, 2, 'none', 600, 500, 0.1),
        cfg('async', 16, 1, 'inline', 1400, 1300, 0.99, 3, 0.005),
        cfg('async', 16, 1, 'threads', 900, 1350, 0.5),
        cfg('async', 16, 2, 'threads', 700, 1400, 0.5),
      ]),
      2,
    );
    const text = lines.join('\n');
    expect(text).toMatch(
      /Sequential \(-j 1\) took 4\.00 s; .* took 0\.40 s: 10\.00x faster \(0\.39-0\.41 s against 3\.92-4\.08 s, beyond noise\)\. Downloads overlap/,
    );
    expect(text).toMatch(/I\/O-bound/);
    expect(text).toMatch(/1\.50x slower .* Threads lost: the single loop was 50 % busy/);
    expect(text).toMatch(
      /1\.00 s more CPU \(1\.29-1\.31 s against 0\.29-0\.31 s, beyond noise\), about 1000 MB\/s per core/,
    );
    expect(text).toMatch(/event loop was 99 % busy: CPU-bound/);
    expect(text).toMatch(
      /worker-thread pool: -w 1 0\.90 s, -w 2 0\.70 s against 1\.40 s inline\. -w 2, the lowest median, was faster beyond noise than -w 1/,
    );
    expect(best?.key).toBe('async -j 16 hash=none');
    expect(bestHashing?.key).toBe('async -j 16 -w 2 hash=threads');
    expect(recommendation({ best, bestHashing })).toBe(
      'dlpool get -j 16 LIST; to hash every file: dlpool get -j 16 --hash sha256 --hash-pool threads -w 2 LIST',
    );
  });

  it('says threads won when they did, and leaves failed configurations out', () => {
    const failed = { ...cfg('threads', 16, 4, 'none', 100, 100, 0.1), ok: false, stats: undefined };
    failed.runs = [
      { ok: false, dir: '/x', failure: 'a.bin: sha256 0000… is not the expected 1111…' } as never,
    ];
    const { lines, best } = explain(
      workload([
        cfg('async', 1, 1, 'none', 3000, 2000, 0.99, 3, 0.005),
        cfg('async', 16, 1, 'none', 2000, 1900, 0.99, 3, 0.005),
        cfg('threads', 16, 2, 'none', 1200, 2300, 0.3),
        failed,
      ]),
      2,
    );
    expect(lines[0]).toMatch(
      /1 configuration\(s\) failed verification .*threads -j 16 -w 4 hash=none \(a\.bin: sha256/,
    );
    expect(lines.join('\n')).toMatch(/faster .* The single loop was 99 % busy, so a second loop had work/);
    expect(best?.key).toBe('threads -j 16 -w 2 hash=none');
  });

  it('compares -x against one connection per file, both ways, and names -x in the verdict', () => {
    const base = cfg('async', 16, 1, 'none', 2000, 800, 0.3);
    const split = (wallMs: number) => {
      const c = { ...cfg('async', 16, 1, 'none', wallMs, 900, 0.4), split: 4 };
      return { ...c, key: configKey(c) };
    };
    const faster = explain(workload([base, split(800)]), 2);
    expect(faster.lines.join('\n')).toMatch(/-x 4 took 0\.80 s against 2\.00 s .*2\.50x faster.*held back/);
    expect(faster.lines.at(-1)).toMatch(
      /Lowest median: async -j 16 -x 4 \(0\.784-0\.816 s\), faster beyond noise than async -j 16 hash=none \(1\.960-2\.040 s\)\./,
    );
    expect(faster.best?.split).toBe(4);
    const slower = explain(workload([base, split(2600)]), 2);
    expect(slower.lines.join('\n')).toMatch(/1\.30x slower .*one connection already filled the link/);
    expect(slower.best?.split).toBeUndefined();
    const same = explain(workload([base, split(2010)]), 2);
    expect(same.lines.join('\n')).toMatch(
      /-x 4 took 2\.01 s against 2\.00 s .*: within noise \(1\.97-2\.05 s against 1\.96-2\.04 s\)\./,
    );
    expect(same.best).toBeUndefined();
  });
});

describe('bench explanation: the quick look of many-small', () => {
  // Measured here (3 runs): hashing inline within noise of no hashing, every pool within noise or slower, and
  // the lowest median (-j 4) within noise of -j 16.
  const quick = () =>
    explain(
      workload([
        cfg('async', 4, 1, 'none', 600, 480, 0.85, 3, 0.08),
        cfg('async', 16, 1, 'none', 640, 500, 0.87, 3, 0.25),
        cfg('async', 16, 1, 'inline', 650, 520, 0.94, 3, 0.02),
        cfg('async', 16, 1, 'processes', 960, 870, 0.89, 3, 0.15),
      ]),
      2,
    );

  it('does not call hashing CPU-bound when it cost no wall time beyond noise', () => {
    const line = quick().lines.find((l) => l.startsWith('Hashing every file'))!;
    expect(line).toMatch(/without: within noise/);
    expect(line).not.toMatch(/CPU-bound|can help/);
  });

  it('names the lowest median that hashes only when it is not the lowest median of all', () => {
    const e = explain(
      workload([
        cfg('async', 16, 1, 'none', 900, 500, 0.8),
        cfg('async', 16, 1, 'inline', 600, 520, 0.9),
        cfg('async', 16, 1, 'threads', 1200, 800, 0.8),
      ]),
      2,
    );
    expect(e.lines.filter((l) => l.startsWith('Lowest median'))).toHaveLength(1);
    expect(recommendation(e)).toBe('dlpool get -j 16 --hash sha256 --hash-pool inline LIST');
  });

  it('recommends the lowest median with the number of configurations within noise of it', () => {
    const e = quick();
    expect(recommendation(e)).toBe(
      'dlpool get -j 4 LIST (or any of the 2 configurations within noise of it); to hash every file: dlpool get -j 16 --hash sha256 --hash-pool inline LIST',
    );
    // The other configurations are named as the table's rows.
    expect(e.lines.at(-2)).toMatch(
      /^Lowest median: async -j 4 \(0\.552-0\.648 s\), faster beyond noise than async -j 16 -w 1 hash=processes \(0\.816-1\.104 s\); within noise of async -j 16 hash=none \(0\.480-0\.800 s\), async -j 16 hash=inline \(0\.637-0\.663 s\)\.$/,
    );
  });
});
