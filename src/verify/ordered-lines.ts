import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { reasonOf } from '../errno-text.js';
import { errnoOf } from '../errors.js';

/** Lines held in memory at most, out of order (~100 bytes each for a manifest line). */
const DEFAULT_WINDOW = 16_384;
/** A spilled record: its position (a double), the line's byte length (u32), the line. */
const HEADER = 12;
const READ_CHUNK = 16 * 1024;

/**
 * Lines that arrive in any order, each at a position (an entry's number in the list, from `first` up, every
 * position given once, with or without a line), written in position order with bounded memory. While the
 * lines come close to in order they go straight to `write` (a position waits for those before it); once more
 * than `window` wait behind a slow one, every line from then on goes in sorted runs of `window` to a
 * temporary file (unnamed: nothing is left behind by a killed run), and `end()` merges the runs. So the
 * output is the same whatever order the lines came in; memory is `window` lines plus 16 KiB per run.
 * Positions never given (entries a sharded run skips) only send the lines after them to the end.
 */
export class OrderedLines {
  #next: number;
  #held = new Map<number, string | undefined>();
  #spill: { fd: number; size: number; runs: { start: number; end: number }[] } | undefined;

  constructor(
    private readonly write: (text: string) => void,
    first = 1,
    private readonly window = DEFAULT_WINDOW,
  ) {
    this.#next = first;
  }

  /** The line at `pos`; undefined for an entry that has none (a failed download), so later ones can go. */
  add(pos: number, line: string | undefined): void {
    if (this.#spill === undefined && pos === this.#next) {
      if (line !== undefined) this.write(line);
      this.#next++;
      for (let l; this.#held.has(this.#next); this.#next++) {
        l = this.#held.get(this.#next);
        this.#held.delete(this.#next);
        if (l !== undefined) this.write(l);
      }
      return;
    }
    if (this.#spill !== undefined && line === undefined) return;
    this.#held.set(pos, line);
    if (this.#held.size > this.window) this.#spillHeld();
  }

  /** Writes every line not written yet, in position order, and removes the temporary file. */
  end(): void {
    const held = this.#sortedHeld();
    if (this.#spill === undefined) {
      for (const [, l] of held) if (l !== undefined) this.write(l);
      return;
    }
    const { fd, runs } = this.#spill;
    try {
      const cursors: Cursor[] = runs.map((r) => new RunCursor(fd, r.start, r.end));
      cursors.push(new ArrayCursor(held));
      mergeCursors(cursors, this.write);
    } finally {
      this.close();
    }
  }

  /** Closes the temporary file (also when a run stops before `end`); once only: its number may be reused. */
  close(): void {
    const spill = this.#spill;
    if (spill === undefined || spill.fd < 0) return;
    try {
      fs.closeSync(spill.fd);
    } catch {}
    spill.fd = -1;
    spill.runs = [];
  }

  #sortedHeld(): [number, string | undefined][] {
    const held = [...this.#held].sort((a, b) => a[0] - b[0]);
    this.#held.clear();
    return held;
  }

  #spillHeld(): void {
    try {
      this.#spill ??= { fd: openTemporary(), size: 0, runs: [] };
    } catch (err) {
      throw new TemporaryFileError(err);
    }
    const spill = this.#spill;
    const parts: Buffer[] = [];
    for (const [pos, line] of this.#sortedHeld()) {
      if (line === undefined) continue;
      const text = Buffer.from(line);
      const head = Buffer.allocUnsafe(HEADER);
      head.writeDoubleLE(pos, 0);
      head.writeUInt32LE(text.length, 8);
      parts.push(head, text);
    }
    const buf = Buffer.concat(parts);
    try {
      for (let off = 0; off < buf.length;)
        off += fs.writeSync(spill.fd, buf, off, buf.length - off, spill.size + off);
    } catch (err) {
      throw new TemporaryFileError(err);
    }
    spill.runs.push({ start: spill.size, end: spill.size + buf.length });
    spill.size += buf.length;
  }
}

/** The temporary file could not be made, written or read: `message` says where, `errno` why. */
export class TemporaryFileError extends Error {
  readonly errno: string | undefined;
  constructor(cause: unknown) {
    const errno = errnoOf(cause);
    const reason = reasonOf(cause);
    super(`its temporary file in '${os.tmpdir()}': ${reason}`, { cause });
    this.errno = errno;
  }
}

/** A new file in the temporary folder ($TMPDIR, as sort(1) uses), already unlinked: only the descriptor holds it. */
function openTemporary(): number {
  const { O_RDWR, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
  const p = path.join(os.tmpdir(), `dlpool-manifest-${randomBytes(6).toString('hex')}`);
  const fd = fs.openSync(p, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  fs.unlinkSync(p);
  return fd;
}

interface Cursor {
  /** The position of the current line (Infinity once done). */
  pos: number;
  line: string;
  advance(): void;
}

class ArrayCursor implements Cursor {
  pos = Infinity;
  line = '';
  #i = 0;
  constructor(private readonly items: [number, string | undefined][]) {
    this.advance();
  }
  advance(): void {
    for (; this.#i < this.items.length; this.#i++) {
      const [pos, line] = this.items[this.#i]!;
      if (line === undefined) continue;
      this.#i++;
      this.pos = pos;
      this.line = line;
      return;
    }
    this.pos = Infinity;
  }
}

/** Reads one sorted run of the temporary file, READ_CHUNK at a time. */
class RunCursor implements Cursor {
  pos = Infinity;
  line = '';
  #buf = Buffer.allocUnsafe(READ_CHUNK);
  #len = 0;
  #at = 0;
  constructor(
    private readonly fd: number,
    private offset: number,
    private readonly end: number,
  ) {
    this.advance();
  }

  /** At least `n` bytes from #at in the buffer, or false at the end of the run. */
  #have(n: number): boolean {
    if (this.#len - this.#at >= n) return true;
    const rest = this.#buf.subarray(this.#at, this.#len);
    const buf = n > this.#buf.length ? Buffer.allocUnsafe(n) : this.#buf;
    rest.copy(buf);
    this.#buf = buf;
    this.#len = rest.length;
    this.#at = 0;
    while (this.#len < n && this.offset < this.end) {
      const want = Math.min(buf.length - this.#len, this.end - this.offset);
      let got: number;
      try {
        got = fs.readSync(this.fd, buf, this.#len, want, this.offset);
      } catch (err) {
        throw new TemporaryFileError(err);
      }
      if (got === 0) throw new TemporaryFileError(new Error('ended early'));
      this.#len += got;
      this.offset += got;
    }
    return this.#len >= n;
  }

  advance(): void {
    if (!this.#have(HEADER)) {
      this.pos = Infinity;
      return;
    }
    const pos = this.#buf.readDoubleLE(this.#at);
    const len = this.#buf.readUInt32LE(this.#at + 8);
    this.#at += HEADER;
    if (!this.#have(len)) throw new TemporaryFileError(new Error('ended early'));
    this.line = this.#buf.toString('utf8', this.#at, this.#at + len);
    this.#at += len;
    this.pos = pos;
  }
}

/** Writes the lines of sorted cursors in position order (a binary heap on the current positions). */
function mergeCursors(cursors: Cursor[], write: (text: string) => void): void {
  const heap = cursors.filter((c) => c.pos !== Infinity);
  const less = (a: number, b: number) => heap[a]!.pos < heap[b]!.pos;
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && less(l, m)) m = l;
      if (r < heap.length && less(r, m)) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  };
  for (let i = (heap.length >> 1) - 1; i >= 0; i--) down(i);
  while (heap.length > 0) {
    const top = heap[0]!;
    write(top.line);
    top.advance();
    if (top.pos === Infinity) {
      heap[0] = heap[heap.length - 1]!;
      heap.pop();
    }
    down(0);
  }
}
