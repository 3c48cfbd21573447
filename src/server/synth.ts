/**
 * Deterministic synthetic file contents for the demo/test server.
 *
 * Every path names one file: a 64 KiB pattern comes from a small PRNG seeded with the FNV-1a hash of the path,
 * and each 64 KiB block of the file is that pattern with the block's index mixed into its first 8 bytes. Any
 * byte range can therefore be computed directly, without generating what comes before it, and the bytes are the
 * same on every machine (all arithmetic is 32-bit integer, all stores little-endian).
 */

import { parseWholeByteSize } from '../common/byte-size.js';

/** Size of the repeating pattern, and of one block of a synthetic file. */
export const BLOCK_SIZE = 64 * 1024;

const PATTERN_CACHE_MAX = 32;
const patternCache = new Map<string, Buffer>();
const encoder = new TextEncoder();

/** Parses `1234`, `16K`, `64M`, `1G` (powers of 1024) into bytes; undefined for anything else. */
export const parseSize = parseWholeByteSize;

/** FNV-1a (64-bit) of the UTF-8 bytes of `text`, as two 32-bit halves `[hi, lo]`. */
export function fnv1a64(text: string): [number, number] {
  let h = 0xcbf29ce484222325n;
  for (const b of encoder.encode(text)) {
    h ^= BigInt(b);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return [Number(h >> 32n), Number(h & 0xffffffffn)];
}

/** A strong, quoted ETag for a synthetic file: its path's FNV-1a hash and its size, both in hex. */
export function synthEtag(path: string, size: number): string {
  const [hi, lo] = fnv1a64(path);
  return `"${hi.toString(16).padStart(8, '0')}${lo.toString(16).padStart(8, '0')}-${size.toString(16)}"`;
}

/** murmur3's 32-bit finaliser: a cheap, well-mixed bijection. */
function fmix32(x: number): number {
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The 64 KiB pattern for `path`: xoshiro128** seeded through splitmix32 from the path's FNV-1a hash. */
function makePattern(path: string): Buffer {
  const [hi, lo] = fnv1a64(path);
  let seed = (hi ^ 0x9e3779b9) >>> 0;
  const next = () => {
    seed = (seed + 0x9e3779b9) >>> 0;
    return fmix32(seed ^ lo);
  };
  let s0 = next();
  let s1 = next();
  let s2 = next();
  let s3 = next();
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1;
  const buf = Buffer.allocUnsafe(BLOCK_SIZE);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let i = 0; i < BLOCK_SIZE; i += 4) {
    const r = Math.imul(s1 * 5, 1);
    const out = Math.imul((r << 7) | (r >>> 25), 9);
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
    view.setUint32(i, out >>> 0, true);
  }
  return buf;
}

function patternFor(path: string): Buffer {
  const hit = patternCache.get(path);
  if (hit) {
    // Re-insert so Map order is least-recently-used first.
    patternCache.delete(path);
    patternCache.set(path, hit);
    return hit;
  }
  const p = makePattern(path);
  patternCache.set(path, p);
  if (patternCache.size > PATTERN_CACHE_MAX) {
    const oldest = patternCache.keys().next();
    if (!oldest.done) patternCache.delete(oldest.value);
  }
  return p;
}

/** The 8 bytes XORed into the start of block `index`, as two little-endian 32-bit words. */
function blockMix(index: number): [number, number] {
  const lo = fmix32((index >>> 0) ^ 0x6a09e667);
  const hi = fmix32(Math.floor(index / 0x100000000) ^ lo ^ 0xbb67ae85);
  return [lo, hi];
}

/**
 * Bytes `[start, endExclusive)` of the synthetic file at `path` (the URL path, e.g. `/gen/16K/a.bin`).
 * Pure: the same arguments always give the same bytes. The file's size is not checked here.
 */
export function synthBytes(path: string, start: number, endExclusive: number): Buffer {
  if (
    !Number.isSafeInteger(start) ||
    !Number.isSafeInteger(endExclusive) ||
    start < 0 ||
    endExclusive < start
  ) {
    throw new RangeError(`synthBytes: bad range ${start}-${endExclusive}`);
  }
  const pattern = patternFor(path);
  const out = Buffer.allocUnsafe(endExclusive - start);
  let pos = start;
  while (pos < endExclusive) {
    const block = Math.floor(pos / BLOCK_SIZE);
    const blockStart = block * BLOCK_SIZE;
    const from = pos - blockStart;
    const to = Math.min(BLOCK_SIZE, endExclusive - blockStart);
    pattern.copy(out, pos - start, from, to);
    if (from < 8) {
      const [lo, hi] = blockMix(block);
      for (let j = from; j < Math.min(8, to); j++) {
        const word = j < 4 ? lo : hi;
        out[pos - start + (j - from)] = (pattern[j] ?? 0) ^ ((word >>> ((j & 3) * 8)) & 0xff);
      }
    }
    pos = blockStart + to;
  }
  return out;
}
