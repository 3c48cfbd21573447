import { describe, expect, it } from 'vitest';
import { compare, renderPart } from '../../../src/bench/claims.js';
import { judge, type Spread, threshold } from '../../../src/bench/judge.js';

const sp = (min: number, max: number, n = 3): Spread => ({ min, max, median: (min + max) / 2, n });

describe('judge', () => {
  it('claims a difference only between ranges that do not overlap, each of 3 runs or more', () => {
    expect(judge(sp(1, 2), sp(3, 4))).toBe('lower');
    expect(judge(sp(3, 4), sp(1, 2))).toBe('higher');
    // Ranges that touch overlap: the same value was measured on both sides.
    expect(judge(sp(1, 2), sp(2, 3))).toBe('noise');
    expect(judge(sp(1, 2, 2), sp(3, 4))).toBe('few-runs');
    expect(judge(sp(1, 1, 1), sp(3, 3, 1))).toBe('few-runs');
  });

  it('judges a threshold like a configuration, from the whole range', () => {
    expect(judge(sp(0.91, 0.99), threshold(0.9))).toBe('higher');
    expect(judge(sp(0.85, 0.99), threshold(0.9))).toBe('noise');
  });
});

describe('a rendered comparison', () => {
  const side = (label: string, s: Spread) => ({ key: label, label, spread: s });

  it('gives the ranges precisely enough that a difference claimed is a difference seen', () => {
    // Measured on the latency workload: the pool's fastest run 0.475 s, inline's slowest 0.468 s.
    const c = compare('wall', side('a', sp(474.9, 884.1)), side('b', sp(427.3, 468.4)));
    expect(c.verdict).toBe('higher');
    expect(renderPart({ cmp: c })).toBe('1.52x slower (0.475-0.884 s against 0.427-0.468 s, beyond noise)');
    // Two decimals where they are enough.
    const d = compare('wall', side('a', sp(400, 500)), side('b', sp(600, 700)));
    expect(renderPart({ cmp: d })).toBe('1.44x faster (0.40-0.50 s against 0.60-0.70 s, beyond noise)');
  });
});
