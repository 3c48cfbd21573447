import { describe, expect, it } from 'vitest';
import { CompactStringSet } from '../../src/jobs/string-set.js';

describe('CompactStringSet', () => {
  it('answers has() exactly as a Set does, through many grows', () => {
    const set = new CompactStringSet();
    const model = new Set<string>();
    let seed = 1;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const alphabet = ['a', 'b', '.', '/', 'é', 'ß', '日', '😀', 'Z', '0'];
    const word = () => Array.from({ length: rand(12) }, () => alphabet[rand(alphabet.length)]).join('');
    for (let i = 0; i < 60_000; i++) {
      const w = i % 3 === 0 ? `f${i}.bin` : word();
      expect(set.has(w)).toBe(model.has(w));
      set.add(w);
      model.add(w);
    }
    expect(set.size).toBe(model.size);
    for (let i = 0; i < 5_000; i++) {
      const w = word();
      expect(set.has(w), w).toBe(model.has(w));
    }
  });

  it('keeps the empty string, long strings and strings differing only past a prefix apart', () => {
    const set = new CompactStringSet();
    const long = 'x'.repeat(5000);
    expect(set.has('')).toBe(false);
    set.add('');
    set.add(long);
    set.add('ab');
    set.add('ab');
    expect(set.size).toBe(3);
    expect(set.has('')).toBe(true);
    expect(set.has(long)).toBe(true);
    expect(set.has(`${long}x`)).toBe(false);
    expect(set.has('a')).toBe(false);
    expect(set.has('abc')).toBe(false);
    expect(set.has('ab')).toBe(true);
  });
});
