/**
 * A set of strings kept as UTF-8 in one growing buffer, indexed by an open-addressing hash table of typed
 * arrays: about 24 bytes per short string, none of it on the JS heap. A `Set<string>` of a million file names
 * held ~51 MiB of heap, and V8 lets the old generation grow to a few times what is live before it collects,
 * so those names cost far more RSS than their size (issue 6: a million URLs under 300 MB).
 * Only `add` and `has`: a run never forgets a name.
 */
export class CompactStringSet {
  /** Entries back to back: a 4-byte little-endian length, then the UTF-8 bytes. */
  #bytes = Buffer.allocUnsafe(64 * 1024);
  #used = 0;
  /** Per slot: entry offset + 1 (0 = empty), and the entry's hash, compared before the bytes. */
  #slots = new Uint32Array(1024);
  #hashes = new Uint32Array(1024);
  #size = 0;
  /** The string being looked up, encoded once per call. */
  #scratch = Buffer.allocUnsafe(1024);

  get size(): number {
    return this.#size;
  }

  has(text: string): boolean {
    const n = this.#encode(text);
    const hash = fnv1a(this.#scratch, n);
    return this.#slots[this.#find(hash, n)] !== 0;
  }

  add(text: string): void {
    const n = this.#encode(text);
    const hash = fnv1a(this.#scratch, n);
    const slot = this.#find(hash, n);
    if (this.#slots[slot] !== 0) return;
    if (this.#used + 4 + n > this.#bytes.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.#bytes.length * 2, this.#used + 4 + n));
      this.#bytes.copy(bigger, 0, 0, this.#used);
      this.#bytes = bigger;
    }
    this.#bytes.writeUInt32LE(n, this.#used);
    this.#scratch.copy(this.#bytes, this.#used + 4, 0, n);
    this.#slots[slot] = this.#used + 1;
    this.#hashes[slot] = hash;
    this.#used += 4 + n;
    this.#size++;
    // Linear probing stays short below 70 % full.
    if (this.#size * 10 > this.#slots.length * 7) this.#grow();
  }

  /** UTF-8 of `text` into the scratch buffer; returns its length. */
  #encode(text: string): number {
    if (text.length * 3 > this.#scratch.length) this.#scratch = Buffer.allocUnsafe(text.length * 3);
    return this.#scratch.write(text, 0, 'utf8');
  }

  /** The slot holding the scratch bytes, or the empty slot where they would go. */
  #find(hash: number, n: number): number {
    const mask = this.#slots.length - 1;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const at = this.#slots[i]!;
      if (at === 0) return i;
      if (this.#hashes[i] !== hash) continue;
      const off = at - 1;
      if (
        this.#bytes.readUInt32LE(off) === n &&
        this.#bytes.compare(this.#scratch, 0, n, off + 4, off + 4 + n) === 0
      ) {
        return i;
      }
    }
  }

  #grow(): void {
    const slots = new Uint32Array(this.#slots.length * 2);
    const hashes = new Uint32Array(this.#slots.length * 2);
    const mask = slots.length - 1;
    for (let j = 0; j < this.#slots.length; j++) {
      const at = this.#slots[j]!;
      if (at === 0) continue;
      const hash = this.#hashes[j]!;
      let i = hash & mask;
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = at;
      hashes[i] = hash;
    }
    this.#slots = slots;
    this.#hashes = hashes;
  }
}

/** 32-bit FNV-1a of `buf[0, n)`. */
function fnv1a(buf: Buffer, n: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < n; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  return h >>> 0;
}
