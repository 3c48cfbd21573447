import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InlineTap, TapPool } from '../../../src/hash/stream-tap.js';

const sha256 = (b: Uint8Array) => crypto.createHash('sha256').update(b).digest('hex');

describe('TapPool: digests computed on threads as bytes arrive', () => {
  it('gives the digest of every byte fed, for taps spread over the threads', async () => {
    const pool = new TapPool(2);
    try {
      const bodies = [0, 1, 1024 * 1024, 3 * 1024 * 1024 + 17].map((n, i) =>
        Buffer.from(Array.from({ length: n }, (_, j) => (j * 31 + i) & 0xff)),
      );
      const taps = bodies.map(() => pool.tap('sha256'));
      // Fed interleaved in uneven pieces, as downloads arrive.
      for (let off = 0; off < 4 * 1024 * 1024; off += 65_521) {
        bodies.forEach((b, i) => {
          if (off < b.length) taps[i]!.update(b.subarray(off, off + 65_521));
        });
      }
      const hex = await Promise.all(taps.map((t) => t.digest()));
      expect(hex).toEqual(bodies.map(sha256));
      const inline = new InlineTap('sha256');
      inline.update(bodies[3]!);
      expect(inline.digest()).toBe(hex[3]);
    } finally {
      await pool.close();
    }
  });

  it('says to pause when its thread is 8 MiB behind, and when to go on', async () => {
    const pool = new TapPool(1);
    try {
      const tap = pool.tap('sha256');
      const chunk = Buffer.alloc(1024 * 1024, 7);
      const all: Buffer[] = [];
      // Fed without yielding, the thread's progress cannot arrive: it falls behind for certain.
      let accepted = true;
      for (let i = 0; i < 12 && accepted; i++) {
        accepted = tap.update(chunk);
        all.push(chunk);
      }
      expect(accepted).toBe(false);
      await tap.whenDrained();
      const byte = Buffer.from([1]);
      expect(tap.update(byte)).toBe(true);
      all.push(byte);
      expect(await tap.digest()).toBe(sha256(Buffer.concat(all)));
    } finally {
      await pool.close();
    }
  });

  it('a released tap leaves nothing behind; closing fails the digests still waiting', async () => {
    const pool = new TapPool(1);
    const dropped = pool.tap('sha256');
    dropped.update(Buffer.alloc(100, 1));
    dropped.release();
    const waiting = pool.tap('sha256');
    waiting.update(Buffer.alloc(5 * 1024 * 1024, 2));
    // Either it was answered before the close, or it fails: it never hangs.
    const settled = Promise.resolve(waiting.digest()).then(
      (hex: string) => expect(hex).toBe(sha256(Buffer.alloc(5 * 1024 * 1024, 2))),
      (err: Error) => expect(err.message).toMatch(/closed|died/),
    );
    await pool.close();
    await settled;
  });

  it('an unknown algorithm fails that digest only', async () => {
    const pool = new TapPool(1);
    try {
      const bad = pool.tap('no-such-digest');
      bad.update(Buffer.from('x'));
      await expect(bad.digest()).rejects.toThrow(/unknown digest/);
      const good = pool.tap('sha256');
      good.update(Buffer.from('x'));
      expect(await good.digest()).toBe(sha256(Buffer.from('x')));
    } finally {
      await pool.close();
    }
  });
});
