import { describe, expect, it } from 'vitest';
import { NameRegistry } from '../../../src/jobs/naming.js';
import { OfferedNames } from '../../../src/jobs/offered-names.js';

function gate(ids: number[]): OfferedNames {
  const g = new OfferedNames(new NameRegistry());
  for (const id of ids) g.expect(id);
  return g;
}

describe('OfferedNames: names offered by servers, claimed in list order', () => {
  it('claims at once when every earlier download has claimed or ended', () => {
    const g = gate([1, 2, 3]);
    expect(g.claim(1, 'x.bin', false)).toBe('x.bin');
    g.settle(1);
    g.settle(2); // failed before any answer
    expect(g.claim(3, 'x.bin', false)).toBe('x.1.bin');
  });

  it('says "not yet" without wait, and answers a waiting claim once the earlier ones are done', async () => {
    const g = gate([1, 2, 3]);
    expect(g.claim(3, 'x.bin', false)).toBeUndefined();
    const third = g.claim(3, 'x.bin', true);
    const second = g.claim(2, 'x.bin', true);
    let settled = false;
    void Promise.all([second, third]).then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    expect(g.claim(1, 'x.bin', false)).toBe('x.bin');
    await expect(second).resolves.toBe('x.1.bin');
    await expect(third).resolves.toBe('x.2.bin');
  });

  it('a download that ends without claiming lets the later ones go', async () => {
    const g = gate([1, 2]);
    const second = g.claim(2, 'x.bin', true);
    g.settle(1);
    await expect(second).resolves.toBe('x.bin');
  });

  it('a name that cannot be claimed fails that claim only', async () => {
    const names = new NameRegistry();
    names.claim('d');
    const g = new OfferedNames(names);
    g.expect(1);
    g.expect(2);
    const second = g.claim(2, 'a.bin', true);
    // Its turn: answered at once, here with the registry's error; the turn is over all the same.
    expect(() => g.claim(1, 'd/a.bin', true)).toThrow(/is a file of this run/);
    await expect(second).resolves.toBe('a.bin');
  });

  it('after an interruption every waiting claim goes through, in list order', async () => {
    const g = gate([1, 2, 3]);
    const third = g.claim(3, 'x.bin', true);
    const second = g.claim(2, 'x.bin', true);
    g.release();
    await expect(second).resolves.toBe('x.bin');
    await expect(third).resolves.toBe('x.1.bin');
    expect(g.claim(1, 'x.bin', true)).toBe('x.2.bin');
  });

  it('keeps no turn for ids it was not told to expect (names the list gave)', () => {
    const g = gate([2]);
    expect(g.claim(1, 'x.bin', false)).toBe('x.bin');
    expect(g.claim(2, 'x.bin', false)).toBe('x.1.bin');
  });

  it('keeps the order across the compaction of ended turns', async () => {
    const g = gate(Array.from({ length: 3000 }, (_, i) => i + 1));
    for (let id = 1; id <= 2000; id++) expect(g.claim(id, 'f', false)).toBe(id === 1 ? 'f' : `f.${id - 1}`);
    const later = g.claim(2002, 'g', true);
    expect(g.claim(2001, 'g', false)).toBe('g');
    await expect(later).resolves.toBe('g.1');
  });
});
