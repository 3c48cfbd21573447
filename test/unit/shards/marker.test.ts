import { describe, expect, it } from 'vitest';
import { markerShard, MAX_SHARDS, parseMarker } from '../../../src/shards/marker.js';

const H = 'a'.repeat(64);
const good = { shard: 3, of: 5, list: H, entries: H, count: 4, downloaded: 2, skipped: 1, failed: 1 };
const text = (o: object) => JSON.stringify(o);

describe('shard markers', () => {
  it('a marker dlpool writes is read back as it is', () => {
    expect(parseMarker(text(good), 3)).toEqual(good);
    // Written before markers named their list: read (a rerun records it), with no list.
    const { list: _, ...old } = good;
    expect(parseMarker(text(old), 3)).toEqual(old);
  });

  it('every field is checked: a number out of range, a count that does not add up, a wrong shard', () => {
    const bad: [object | string, RegExp][] = [
      ['{', /not JSON/],
      ['null', /not an object/],
      ['[1]', /not an object/],
      [{ ...good, shard: 4 }, /'shard'/],
      [{ ...good, of: 3 }, /'of'/],
      [{ ...good, of: MAX_SHARDS + 1 }, /'of'/],
      [{ ...good, of: 1e308 }, /'of'/],
      [{ ...good, of: '5' }, /'of'/],
      [{ ...good, count: 4.5 }, /'count'/],
      [{ ...good, failed: -1 }, /'failed'/],
      [{ ...good, downloaded: '\u001b]0;x\u0007' }, /'downloaded'/],
      [{ ...good, count: 5 }, /add up/],
      [{ ...good, entries: H.toUpperCase() }, /'entries'/],
      [{ ...good, list: 'x' }, /'list'/],
    ];
    for (const [v, why] of bad) {
      const t = typeof v === 'string' ? v : text(v);
      expect(parseMarker(t, 3), t).toMatch(why);
    }
    // `of` of 1e309 is Infinity to JSON.parse.
    expect(parseMarker(text(good).replace('"of":5', '"of":1e309'), 3)).toMatch(/'of'/);
  });

  it('only K.done as dlpool names it is a marker', () => {
    expect(markerShard('0.done')).toBe(0);
    expect(markerShard('12.done')).toBe(12);
    for (const n of ['07.done', '1.done.part', 'x.done', '-1.done', '1e3.done', `${MAX_SHARDS}.done`])
      expect(markerShard(n), n).toBeUndefined();
  });
});
