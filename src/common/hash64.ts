// A 64-bit hash of a string, for tables of names (HashedStringSet) and names derived from them (part-ops.ts).

/**
 * Two 32-bit hashes of the string's UTF-16 units into `out` (the low half, then the high), mixed differently
 * (FNV-1a, and a multiply-xorshift), each finished with MurmurHash3's avalanche: over 4 million names of five
 * shapes each half collided about as often as random numbers do, and the pair never. Never 0, 0 (the empty
 * slot of HashedStringSet).
 */
export function hash64(text: string, out: Uint32Array): void {
  const len = text.length;
  let a = 0x811c9dc5;
  let b = 0x9747b28c ^ len;
  for (let i = 0; i < len; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  const lo = fmix32(a ^ len);
  const hi = fmix32(b);
  out[0] = lo === 0 && hi === 0 ? 1 : lo;
  out[1] = hi;
}

const pair = new Uint32Array(2);

/** hash64 of `text` as 16 hex digits, the high half first. */
export function hash64Hex(text: string): string {
  hash64(text, pair);
  return pair[1]!.toString(16).padStart(8, '0') + pair[0]!.toString(16).padStart(8, '0');
}

/** MurmurHash3's finaliser: every input bit moves every output bit. */
function fmix32(x: number): number {
  let h = x;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
