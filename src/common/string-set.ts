import { hash64 } from './hash64.js';

/**
 * A map from strings to small byte values, kept as UTF-8 in pages of shared memory and indexed by an
 * open-addressing hash table of typed arrays: about 10 bytes per key besides its bytes and the value's, none of it on the JS
 * heap. A `Set<string>` of a million file names held ~51 MiB of heap, and V8 lets the old generation grow to a
 * few times what is live before it collects, so those names cost far more RSS than their size (a run of a
 * million URLs is to stay under 300 MB); a `Map` of a million checksum lines cost ~400 MB.
 * Only adds and lookups: nothing is ever removed. The memory is SharedArrayBuffers, so a finished map can be
 * handed to worker threads (`shared()` / `fromShared()`) without a copy; only the thread that built it adds.
 */
export class CompactStringMap {
  /** Entries back to back within a page: u16 key length, key bytes, u8 value length, value bytes. */
  #pages: Buffer[] = [];
  /** Bytes used in the last page. */
  #used = PAGE_BYTES;
  /**
   * Per slot: entry reference + 1 (0 = empty; reference = page * PAGE_BYTES + offset), and the top byte of its
   * key's hash, compared before the bytes (a byte, not the whole hash: a million keys, 6 MB less).
   */
  #slots: Uint32Array;
  #tags: Uint8Array;
  #size = 0;
  /** The key being looked up (see #key): as it is when ASCII, else its UTF-8 in the scratch buffer. */
  #ascii: string | undefined;
  #scratch = Buffer.allocUnsafe(1024);
  #hash = 0;

  constructor(shared?: SharedCompactMap) {
    if (!shared) {
      this.#slots = sharedU32(1024);
      this.#tags = sharedU8(1024);
      return;
    }
    this.#pages = shared.pages.map((p) => Buffer.from(p));
    this.#slots = new Uint32Array(shared.slots);
    this.#tags = new Uint8Array(shared.tags);
    this.#size = shared.size;
    this.#used = shared.used;
  }

  /** A map that reads the same memory (in another thread), for lookups only. */
  static fromShared(shared: SharedCompactMap): CompactStringMap {
    return new CompactStringMap(shared);
  }

  /** The memory, to post to a worker thread: shared, not copied. */
  shared(): SharedCompactMap {
    return {
      pages: this.#pages.map((p) => p.buffer as SharedArrayBuffer),
      slots: this.#slots.buffer as SharedArrayBuffer,
      tags: this.#tags.buffer as SharedArrayBuffer,
      size: this.#size,
      used: this.#used,
    };
  }

  get size(): number {
    return this.#size;
  }

  has(key: string): boolean {
    const n = this.#key(key);
    return this.#slots[this.#find(this.#hash, n)] !== 0;
  }

  /** The value stored for `key` (a copy), or undefined. */
  get(key: string): Buffer | undefined {
    const n = this.#key(key);
    const at = this.#slots[this.#find(this.#hash, n)]!;
    if (at === 0) return undefined;
    const p = this.#pages[(at - 1) >>> PAGE_SHIFT]!;
    const v = ((at - 1) & PAGE_MASK) + 2 + n;
    return Buffer.from(p.subarray(v + 1, v + 1 + p[v]!));
  }

  /** Adds `key` with `value`, or gives a key already there this value (the last one wins, as in a Map). */
  set(key: string, value: Uint8Array = EMPTY): void {
    const n = this.#key(key);
    const hash = this.#hash;
    const slot = this.#find(hash, n);
    const had = this.#slots[slot]!;
    if (had !== 0) {
      const p = this.#pages[(had - 1) >>> PAGE_SHIFT]!;
      const v = ((had - 1) & PAGE_MASK) + 2 + n;
      // The same length (a set's empty value, a digest of the same algorithm): in place.
      if (p[v] === value.length) {
        p.set(value, v + 1);
        return;
      }
    }
    if (n > 0xffff || value.length > 0xff) {
      throw new RangeError(`a key of ${n} bytes or a value of ${value.length} is too long`);
    }
    const need = 3 + n + value.length;
    if (this.#used + need > PAGE_BYTES) {
      if (this.#pages.length >= MAX_PAGES) throw new RangeError('the map is full (4 GiB)');
      this.#pages.push(Buffer.from(new SharedArrayBuffer(PAGE_BYTES)));
      this.#used = 0;
    }
    const page = this.#pages.length - 1;
    const p = this.#pages[page]!;
    const off = this.#used;
    p.writeUInt16LE(n, off);
    const ascii = this.#ascii;
    if (ascii !== undefined) for (let i = 0; i < n; i++) p[off + 2 + i] = ascii.charCodeAt(i);
    else this.#scratch.copy(p, off + 2, 0, n);
    p[off + 2 + n] = value.length;
    p.set(value, off + 3 + n);
    this.#slots[slot] = page * PAGE_BYTES + off + 1;
    this.#tags[slot] = hash >>> 24;
    this.#used += need;
    // (A key given a value of another length points to its new entry; the old bytes stay unused.)
    if (had !== 0) return;
    this.#size++;
    // Linear probing stays short below 70 % full.
    if (this.#size * 10 > this.#slots.length * 7) this.#grow();
  }

  /**
   * Prepares a lookup of `text`: its UTF-8 length (returned) and FNV-1a hash (#hash). ASCII text (most names)
   * is read where it is (#ascii); other text is encoded into the scratch buffer. Native calls per lookup
   * (encode, copy, compare) cost more than these loops.
   */
  #key(text: string): number {
    let h = 0x811c9dc5;
    const len = text.length;
    let i = 0;
    for (; i < len; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0x80) break;
      h = Math.imul(h ^ c, 0x01000193);
    }
    if (i === len) {
      this.#ascii = text;
      this.#hash = h >>> 0;
      return len;
    }
    this.#ascii = undefined;
    if (len * 3 > this.#scratch.length) this.#scratch = Buffer.allocUnsafe(len * 3);
    const n = this.#scratch.write(text, 0, 'utf8');
    this.#hash = fnv1a(this.#scratch, 0, n);
    return n;
  }

  /** The slot holding the scratch bytes as a key, or the empty slot where they would go. */
  #find(hash: number, n: number): number {
    const mask = this.#slots.length - 1;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const at = this.#slots[i]!;
      if (at === 0) return i;
      if (this.#tags[i] !== hash >>> 24) continue;
      const p = this.#pages[(at - 1) >>> PAGE_SHIFT]!;
      const off = (at - 1) & PAGE_MASK;
      if (p.readUInt16LE(off) === n && this.#sameKey(p, off + 2, n)) return i;
    }
  }

  /** Are `p[at, at + n)` the scratch bytes? Short keys compared here: a native call costs more. */
  #sameKey(p: Buffer, at: number, n: number): boolean {
    const ascii = this.#ascii;
    if (ascii !== undefined) {
      for (let i = 0; i < n; i++) if (p[at + i] !== ascii.charCodeAt(i)) return false;
      return true;
    }
    const k = this.#scratch;
    if (n > SHORT) return p.compare(k, 0, n, at, at + n) === 0;
    for (let i = 0; i < n; i++) if (p[at + i] !== k[i]) return false;
    return true;
  }

  /** Twice the slots; each key's hash is computed again from its bytes (only its top byte is kept). */
  #grow(): void {
    const slots = sharedU32(this.#slots.length * 2);
    const tags = sharedU8(this.#slots.length * 2);
    const mask = slots.length - 1;
    for (let j = 0; j < this.#slots.length; j++) {
      const at = this.#slots[j]!;
      if (at === 0) continue;
      const p = this.#pages[(at - 1) >>> PAGE_SHIFT]!;
      const off = (at - 1) & PAGE_MASK;
      const hash = fnv1a(p, off + 2, p.readUInt16LE(off));
      let i = hash & mask;
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = at;
      tags[i] = hash >>> 24;
    }
    this.#slots = slots;
    this.#tags = tags;
  }
}

/** A CompactStringMap's memory, as posted to a worker thread. */
export interface SharedCompactMap {
  pages: SharedArrayBuffer[];
  slots: SharedArrayBuffer;
  tags: SharedArrayBuffer;
  size: number;
  used: number;
}

/**
 * A set of strings kept as 64-bit hashes (the name registry's claims): 8 bytes a slot in one typed array
 * (open addressing, linear probing, at most 70 % full), whatever the string's length, none of it on the JS heap.
 * A million names take 16 MiB (a CompactStringMap, which keeps their bytes too, takes 26). The table grows in
 * place (a resizable ArrayBuffer, its pages committed as they are used): a grow needs no second table beside the
 * first, which would be the peak of memory of a run of a million URLs.
 * An added string always tests present. One never added tests present only if its 64-bit hash equals an
 * added one's: for a million strings about 1 in 30 million (n^2 / 2^65). The name registry can afford that: such
 * a name would only get a suffix it did not need, still a name of its own and the same on every run of the list.
 */
export class HashedStringSet {
  /** Reserved up to its maxByteLength: the table grows in place to that, and past it moves to a larger one. */
  #buffer: ResizableBuffer;
  /** Per slot two words, the hash's low then high half; 0, 0 is an empty slot (a hash of 0, 0 is stored as 1, 0). */
  #slots: Uint32Array;
  #size = 0;
  #lo = 0;
  #hi = 0;
  /** hash64's output: the low half, then the high. */
  readonly #pair = new Uint32Array(2);

  /**
   * `reserve`: address space for the table to grow in place (committed only as it grows); `slots`: the first
   * table's size, a power of two.
   */
  constructor({ reserve = 1 << 30, slots = 1024 }: { reserve?: number; slots?: number } = {}) {
    this.#buffer = resizable(8 * slots, Math.max(reserve, 8 * slots));
    this.#slots = new Uint32Array(this.#buffer);
  }

  get size(): number {
    return this.#size;
  }

  /** Bytes the table holds. */
  get bytes(): number {
    return this.#buffer.byteLength;
  }

  has(text: string): boolean {
    this.#hash(text);
    return this.#find() >= 0;
  }

  add(text: string): void {
    this.#hash(text);
    const at = this.#find();
    if (at >= 0) return;
    const i = ~at;
    this.#slots[2 * i] = this.#lo;
    this.#slots[2 * i + 1] = this.#hi;
    this.#size++;
    if (this.#size * 10 > (this.#slots.length / 2) * 7) this.#grow();
  }

  #hash(text: string): void {
    hash64(text, this.#pair);
    this.#lo = this.#pair[0]!;
    this.#hi = this.#pair[1]!;
  }

  /** The slot holding the current hash, or ~(the empty slot where it would go). */
  #find(): number {
    const s = this.#slots;
    const mask = s.length / 2 - 1;
    const lo = this.#lo;
    const hi = this.#hi;
    for (let i = lo & mask; ; i = (i + 1) & mask) {
      const l = s[2 * i]!;
      const h = s[2 * i + 1]!;
      if (l === lo && h === hi) return i;
      if (l === 0 && h === 0) return ~i;
    }
  }

  /** Puts a hash in the first empty slot from its home. */
  #place(lo: number, hi: number): void {
    const s = this.#slots;
    const mask = s.length / 2 - 1;
    let i = lo & mask;
    while (s[2 * i] !== 0 || s[2 * i + 1] !== 0) i = (i + 1) & mask;
    s[2 * i] = lo;
    s[2 * i + 1] = hi;
  }

  /**
   * Twice the slots, in place. A hash's home stays where it was or moves up by the old size, and the old slots
   * are walked from just after an empty one, so each run of full slots from its start: a hash taken out lands at
   * or before where it was, among slots already walked, or in the upper half at or before its old slot plus the
   * old size (the hashes placed there before it came from the slots walked before it). A run that wrapped past
   * the old end is walked last, and what it places past the new end lands among slots already walked. So no
   * placed hash ever has an emptied slot between its home and itself.
   */
  #grow(): void {
    const old = this.#slots.length / 2;
    if (16 * old > this.#buffer.maxByteLength) {
      this.#moveTo(this.#buffer.maxByteLength * 4);
      return;
    }
    const s = this.#slots;
    let empty = 0;
    while (s[2 * empty] !== 0 || s[2 * empty + 1] !== 0) empty++;
    this.#buffer.resize(16 * old);
    for (let k = 1; k <= old; k++) {
      const i = (empty + k) % old;
      const lo = s[2 * i]!;
      const hi = s[2 * i + 1]!;
      if (lo === 0 && hi === 0) continue;
      s[2 * i] = 0;
      s[2 * i + 1] = 0;
      this.#place(lo, hi);
    }
  }

  /** Past the reservation: a table twice the size in a new one of `reserve` bytes, every hash placed again. */
  #moveTo(reserve: number): void {
    const old = this.#slots;
    this.#buffer = resizable(2 * old.byteLength, reserve);
    this.#slots = new Uint32Array(this.#buffer);
    for (let j = 0; j < old.length; j += 2)
      if (old[j] !== 0 || old[j + 1] !== 0) this.#place(old[j]!, old[j + 1]!);
  }
}

/** ES2024's resizable ArrayBuffer: Node 20 has it, the TypeScript lib this project builds with does not. */
interface ResizableBuffer extends ArrayBuffer {
  readonly maxByteLength: number;
  resize(bytes: number): void;
}

/**
 * `bytes` now, room for `maxByteLength` reserved; where that much address space cannot be had (a 32-bit
 * process), room for `bytes` only: the table then moves at each grow instead.
 */
function resizable(bytes: number, maxByteLength: number): ResizableBuffer {
  const Ctor = ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ResizableBuffer;
  try {
    return new Ctor(bytes, { maxByteLength });
  } catch (err) {
    if (!(err instanceof RangeError) || maxByteLength <= bytes) throw err;
    return new Ctor(bytes, { maxByteLength: bytes });
  }
}

/** 4 MiB pages: small enough that a short map costs little; 1,023 of them keep every reference in a u32. */
const PAGE_SHIFT = 22;
const PAGE_BYTES = 1 << PAGE_SHIFT;
const PAGE_MASK = PAGE_BYTES - 1;
const MAX_PAGES = 1023;
const EMPTY = new Uint8Array(0);
/** Keys up to this many bytes are compared in JavaScript. */
const SHORT = 64;

function sharedU32(length: number): Uint32Array {
  return new Uint32Array(new SharedArrayBuffer(length * 4));
}

function sharedU8(length: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(length));
}

/** 32-bit FNV-1a of `buf[from, from + n)`. */
function fnv1a(buf: Buffer, from: number, n: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < from + n; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  return h >>> 0;
}
