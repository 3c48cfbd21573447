import { describe, expect, it } from 'vitest';
import { CompactStringMap, HashedStringSet } from '../../../src/common/string-set.js';

describe('HashedStringSet', () => {
  it('answers has() exactly as a Set does, through many grows', () => {
    const set = new HashedStringSet();
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
    const set = new HashedStringSet();
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

  it('holds a million names like a bench list in 16 MiB, none taken for another', () => {
    const set = new HashedStringSet();
    for (let k = 0; k < 1_000_000; k++) {
      const name = `f${String(k).padStart(7, '0')}.bin`;
      if (set.has(name)) expect.fail(`${name} tested present before it was added`);
      set.add(name);
    }
    expect(set.size).toBe(1_000_000);
    expect(set.bytes).toBe(16 * 2 ** 20);
  });

  // Small tables grow often and their runs of full slots wrap past the end often: the in-place grow's hard case.
  it.each([
    ['grown in place', 1 << 30],
    ['moved past its reservation', 64],
    ['moved at each grow where no room can be reserved', 2 ** 52],
  ])('finds every string through many grows from 4 slots, %s', (_, reserve) => {
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    for (let round = 0; round < 300; round++) {
      const set = new HashedStringSet({ reserve, slots: 4 });
      const added: string[] = [];
      const n = 1 + (rand() % 400);
      for (let i = 0; i < n; i++) {
        const w = `${round}-${rand().toString(36)}`;
        set.add(w);
        added.push(w);
      }
      for (const w of added) if (!set.has(w)) expect.fail(`round ${round}: ${w} lost (${n} added)`);
      for (let i = 0; i < 50; i++) expect(set.has(`absent-${round}-${i}`)).toBe(false);
      expect(set.size).toBe(new Set(added).size);
    }
  });
});

describe('CompactStringMap', () => {
  it('stores values by key like a Map: ASCII and other keys, replaced values of any length', () => {
    const map = new CompactStringMap();
    const model = new Map<string, string>();
    for (let i = 0; i < 30_000; i++) {
      const key = i % 2 ? `k${i % 7000}` : `ключ/${i % 5000}/日`;
      const value = 'v'.repeat(i % 5) + String(i);
      map.set(key, Buffer.from(value));
      model.set(key, value);
    }
    expect(map.size).toBe(model.size);
    for (const [k, v] of model) expect(map.get(k)?.toString(), k).toBe(v);
    expect(map.get('k7000')).toBeUndefined();
    expect(map.has('ключ/1/日')).toBe(false);
    expect(map.has('ключ/2/日')).toBe(true);
  });

  it('spans pages: keys and values added after the first 4 MiB are found', () => {
    const map = new CompactStringMap();
    const value = Buffer.alloc(250, 7);
    for (let i = 0; i < 40_000; i++) map.set(`p${i}`, value);
    expect(map.get('p0')?.equals(value)).toBe(true);
    expect(map.get('p39999')?.equals(value)).toBe(true);
    expect(map.shared().pages.length).toBeGreaterThan(2);
    expect(() => map.set('too long a value', Buffer.alloc(256))).toThrow(RangeError);
  });
});
