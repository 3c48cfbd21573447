import { describe, expect, it } from 'vitest';
import { OrderedLines } from '../../../src/verify/ordered-lines.js';

/** A seeded shuffle (mulberry32): the same order on every run. */
function shuffled(n: number, seed: number): number[] {
  const a = Array.from({ length: n }, (_, i) => i + 1);
  let s = seed;
  const rand = () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

function run(order: number[], window: number, line: (pos: number) => string | undefined) {
  const out: string[] = [];
  const lines = new OrderedLines((l) => out.push(l), 1, window);
  const before: number[] = [];
  for (const pos of order) {
    lines.add(pos, line(pos));
    before.push(out.length);
  }
  lines.end();
  return { out, before };
}

describe('OrderedLines', () => {
  it('writes lines that come in order at once, and one late line holds back only those after it', () => {
    const { out, before } = run([1, 2, 4, 5, 3, 6], 100, (p) => `${p}\n`);
    expect(before).toEqual([1, 2, 2, 2, 5, 6]);
    expect(out.join('')).toBe('1\n2\n3\n4\n5\n6\n');
  });

  it('any order, gaps, positions without a line, long and multi-byte lines: the output is sorted, through the temporary too', () => {
    const n = 5000;
    // Positions 100..199 never come (entries a sharded run skipped); every 7th has no line (failed).
    const order = shuffled(n, 7).filter((p) => p < 100 || p >= 200);
    const line = (p: number) =>
      p % 7 === 0 ? undefined : `${'é'.repeat(p % 50 === 0 ? 20_000 : p % 13)}${p}\n`;
    const want = order
      .slice()
      .sort((a, b) => a - b)
      .map(line)
      .filter((l) => l !== undefined)
      .join('');
    for (const window of [1, 16, 4096, 100_000])
      expect(run(order, window, line).out.join(''), `window ${window}`).toBe(want);
  });
});
