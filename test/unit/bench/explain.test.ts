import { describe, expect, it } from 'vitest';
import { explain, recommendation } from '../../../src/bench/explain.js';
import { configKey } from '../../../src/bench/matrix.js';
import type { BenchConfigResult, BenchHashPool, BenchWorkloadResult } from '../../../src/bench/types.js';
import type { EngineMode } from '../../../src/options.js';

/** A measured configuration with the given wall time, CPU time and main-loop utilisation. */
function cfg(
  mode: EngineMode,
  j: number,
  w: number,
  hashPool: BenchHashPool,
  wallMs: number,
  cpuMs: number,
  elu: number,
) {
  const c = { mode, concurrency: j, workers: w, hashPool };
  return {
    ...c,
    key: configKey(c),
    ok: true,
    runs: [{ ok: true, dir: '/x', wallMs }],
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

describe('bench explanation', () => {
  it('reads I/O-bound concurrency, losing threads and a winning pool from the numbers', () => {
    const { lines, best, bestHashing } = explain(
      workload([
        cfg('async', 1, 1, 'none', 4000, 300, 0.05),
        cfg('async', 16, 1, 'none', 400, 300, 0.5),
        cfg('threads', 16, 2, 'none', 600, 500, 0.1),
        cfg('async', 16, 1, 'inline', 1400, 1300, 0.99),
        cfg('async', 16, 1, 'threads', 900, 1350, 0.5),
        cfg('async', 16, 2, 'threads', 700, 1400, 0.5),
      ]),
      2,
    );
    const text = lines.join('\n');
    expect(text).toMatch(/Sequential \(-j 1\) took 4\.00 s; .* took 0\.40 s: 10\.00x faster/);
    expect(text).toMatch(/I\/O-bound/);
    expect(text).toMatch(/Threads lost: the single loop was only 50 % busy/);
    expect(text).toMatch(/\+1\.00 s of CPU \(1\.30 s against 0\.30 s\), about 1000 MB\/s per core/);
    expect(text).toMatch(/event loop was 99 % busy: CPU-bound/);
    expect(text).toMatch(
      /worker-thread pool: -w 1 0\.90 s, -w 2 0\.70 s against 1\.40 s inline; more workers helped/,
    );
    // The fastest run did not hash: that is what is recommended, the fastest hashing one beside it.
    expect(best?.key).toBe('async -j 16 hash=none');
    expect(bestHashing?.key).toBe('async -j 16 -w 2 hash=threads');
    expect(recommendation({ best, bestHashing })).toBe(
      'dlpool get -j 16 LIST (to hash every file: dlpool get -j 16 --hash sha256 --hash-pool threads -w 2 LIST)',
    );
  });

  // Issue 14 (8): a run whose fastest configuration was async -j 64 recommended `-j 16 --hash sha256
  // --hash-pool inline`, and called 0.63 s of CPU against 0.53 s "no measurable extra CPU".
  it('recommends what was fastest, and gives the CPU that hashing cost in figures', () => {
    const e = explain(
      workload([
        cfg('async', 1, 1, 'none', 9000, 400, 0.05),
        cfg('async', 16, 1, 'none', 900, 530, 0.3),
        cfg('async', 64, 1, 'none', 600, 560, 0.4),
        cfg('async', 16, 1, 'inline', 950, 590, 0.35),
      ]),
      2,
    );
    const text = e.lines.join('\n');
    expect(recommendation(e)).toBe(
      'dlpool get -j 64 LIST (to hash every file: dlpool get -j 16 --hash sha256 --hash-pool inline LIST)',
    );
    expect(text).toMatch(
      /inline took 0\.95 s against 0\.90 s without: \+0\.06 s of CPU \(0\.59 s against 0\.53 s\)/,
    );
    expect(text).not.toMatch(/no measurable/);
    expect(text).toMatch(/event loop was 35 % busy with hashing, so it was not the limit/);
    expect(e.lines.at(-1)).toBe(
      'Fastest verified: async -j 64 (0.60 s); fastest that also hashes every file: async -j 16, hashing inline (0.95 s).',
    );
  });

  it('says threads won when they did, and leaves failed configurations out', () => {
    const failed = { ...cfg('threads', 16, 4, 'none', 100, 100, 0.1), ok: false, stats: undefined };
    failed.runs = [
      { ok: false, dir: '/x', failure: 'a.bin: sha256 0000… is not the expected 1111…' } as never,
    ];
    const { lines, best } = explain(
      workload([
        cfg('async', 1, 1, 'none', 3000, 2000, 0.99),
        cfg('async', 16, 1, 'none', 2000, 1900, 0.99),
        cfg('threads', 16, 2, 'none', 1200, 2300, 0.3),
        failed,
      ]),
      2,
    );
    expect(lines[0]).toMatch(
      /1 configuration\(s\) failed verification .*threads -j 16 -w 4 hash=none \(a\.bin: sha256/,
    );
    expect(lines.join('\n')).toMatch(/Threads won: the single loop was 99 % busy/);
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
    expect(faster.lines.at(-1)).toMatch(/Fastest verified: async -j 16 -x 4 \(0\.80 s\)/);
    expect(faster.best?.split).toBe(4);
    const slower = explain(workload([base, split(2600)]), 2);
    expect(slower.lines.join('\n')).toMatch(/1\.30x slower: one connection already filled the link/);
    expect(slower.best?.split).toBeUndefined();
  });
});
