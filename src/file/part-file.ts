import type { WriteStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { BusyError } from '../errors.js';
import type { Site } from './dirs.js';
import {
  checkPart,
  commitPart,
  discardPart,
  openPart,
  openPartHandle,
  partSize,
  publishWholeSync,
  removeStaleTemp,
  wholeTempOf,
  writePartSync,
  writeWholeSync,
} from './part-ops.js';
import type { FileId } from './regular-open.js';
import { PartLock } from './part-lock.js';
import { readResumeState, removeResumeState, type Segment, writeResumeState } from './resume-state.js';

/**
 * One download's `NAME.part` and its resume state `NAME.part.meta`, and what they hold, across the download's
 * attempts. Every create, keep, drop and rename of the two goes through here, so they cannot disagree: the
 * state is written before the bytes it describes, removed before the rename (killed in between, a `.part`
 * without state is simply fetched again, while a state beside a finished file would be stale), and removed
 * with the `.part`. Nothing is read, kept, dropped or measured before `lock()` made the `.part` this
 * download's alone (NAME.part.lock, see PartLock), and the rename checks that the `.part` is still the file
 * this download wrote, with the bytes it counted. A body whole in memory needs no `.part` and no lock where
 * nothing of an earlier run can be (finishWholeSync).
 */
export class PartFile {
  /** The file's folder, pinned while the download runs (see DirMaker); every path below goes through it. */
  site: Site | undefined;
  /** Bytes the next attempt may continue from. */
  offset = 0;
  /** Expected full size, once a server said. */
  total: number | undefined;
  /** Strong ETag or Last-Modified of the first answer, sent as If-Range on resume. */
  validator: string | undefined;
  /** The URL (as shown) whose answer the bytes and `validator` came from: the entry's or a mirror's. */
  source: string;
  /** The time the finished file gets (the server's Last-Modified, --remote-time); local time when undefined. */
  mtimeMs: number | undefined;
  /** Set while the `.part` is a segmented download (-x): where each range stands. */
  segments: Segment[] | undefined;
  /** A resume state may exist beside the `.part` and must go when the `.part` goes. */
  #meta = false;
  /** Held from `lock()` to `release()`. */
  #lock: PartLock | undefined;
  /** The file this download opened as its `.part` (the one the rename must still find there). */
  #file: FileId | undefined;
  /** A `lock()` found another run writing the `.part`: what it left must be looked at again. */
  #waited = false;

  /** `url`: the download's URL as shown (credentials removed), which a saved state must name to be used. */
  constructor(private readonly url: string) {
    this.source = url;
  }

  /** The `.part` path (through the pinned folder); only once the download has a place. */
  get path(): string {
    return this.site!.part;
  }

  get locked(): boolean {
    return this.#lock !== undefined;
  }

  /** Beside a file found finished: a lock its killed writer left there goes (see PartLock.clearStale). */
  clearStaleLock(): void {
    if (this.site) PartLock.clearStale(this.site.part);
  }

  /**
   * Makes the `.part` this download's alone, or throws BusyError (another run holds it). Returns whether it
   * had to wait for another run: then what an earlier attempt knew of the `.part` is forgotten (that run may
   * have finished, changed or left it) and the caller looks again.
   */
  lock(): boolean {
    if (this.#lock) return false;
    try {
      this.#lock = PartLock.acquire(this.path);
    } catch (err) {
      if (err instanceof BusyError) this.#waited = true;
      throw err;
    }
    const waited = this.#waited;
    this.#waited = false;
    if (waited) {
      this.offset = 0;
      this.total = undefined;
      this.validator = undefined;
      this.mtimeMs = undefined;
      this.segments = undefined;
      this.#meta = false;
      this.#file = undefined;
    }
    return waited;
  }

  /** Bytes of the download the `.part` holds now: its segments' or its contiguous prefix. */
  held(): number {
    return this.segments ? segmentBytes(this.segments) : this.offset;
  }

  /**
   * Takes over a `.part` left by an earlier run when the state beside it names the same URL and a validator
   * (the request then carries `If-Range`, so a changed file comes back whole and restarts). A symbolic link or
   * special file at `NAME.part.meta` is refused, like one at `NAME.part`. A private file that a run killed while
   * writing this name whole left (see finishWholeSync) goes once it is ten seconds old.
   */
  async resumeFromEarlierRun(): Promise<void> {
    const partPath = this.path;
    removeStaleTemp(wholeTempOf(this.site!.final));
    const saved = readResumeState(partPath);
    if (!saved) return;
    this.#meta = true;
    if (saved.url !== this.url) return;
    const size = await partSize(partPath);
    if (size === 0) return;
    this.validator = saved.validator;
    this.source = saved.from ?? saved.url;
    this.total = saved.total;
    if (saved.segments) {
      // A segmented .part is sized to the whole file when it is created; any other size is not ours to trust.
      if (size === saved.total) this.segments = saved.segments;
      return;
    }
    this.offset = size;
  }

  /**
   * After a failed attempt: what reached the disk is the resume point (a segmented `.part` says so itself).
   * A `.part` this download does not hold (another run's) is none of its business.
   */
  async measure(): Promise<void> {
    if (this.site && this.#lock && !this.segments) this.offset = await partSize(this.site.part);
  }

  /** Opens the `.part` to stream a body into it at `offset` (0: anew, with its resume state first). */
  async open(offset: number, highWaterMark: number): Promise<WriteStream> {
    const { ws, id } = await openPart(this.path, offset, highWaterMark);
    this.#file = id;
    if (offset === 0) this.keepState();
    return ws;
  }

  /**
   * Starts a segmented `.part`: `n` ranges over `total`, the file created and sized, the plan saved before any
   * byte (when there is a validator). Without `n` the saved segments are continued.
   */
  async openSegments(n?: number): Promise<FileHandle> {
    const fresh = n !== undefined;
    if (fresh) {
      this.segments = planSegments(this.total!, n);
      // A state from an earlier attempt would describe this .part as contiguous bytes: it goes, or is replaced
      // (saveSegments, below).
      if (this.validator === undefined) this.#dropState();
    }
    const { fh, id } = await openPartHandle(this.path, fresh, this.total!);
    this.#file = id;
    if (fresh) this.saveSegments();
    return fh;
  }

  /** Saves where each segment stands, for a retry or a later run (nothing without a validator). */
  saveSegments(): void {
    if (this.validator === undefined || !this.segments) return;
    writeResumeState(this.path, {
      url: this.url,
      from: this.#from(),
      validator: this.validator,
      total: this.total,
      segments: this.segments,
    });
    this.#meta = true;
  }

  /** Writes a body received whole (or the start of one that was cut) as the `.part`'s content. */
  writeSync(chunks: Buffer[]): void {
    this.#file = writePartSync(this.path, chunks).id;
  }

  /**
   * Takes the lock, unless another run holds it (false) or had held it since an earlier attempt of this
   * download (false too: what this download knew of the `.part` was forgotten; the lock is held now).
   */
  lockIfFree(): boolean {
    if (this.#lock) return true;
    try {
      return !this.lock();
    } catch (err) {
      if (err instanceof BusyError) return false;
      throw err;
    }
  }

  /**
   * Writes a complete body received whole and gives it its final name at once. Without the lock (nothing of
   * an earlier run can be there: see smallBody) it goes under a private name and is renamed, touching no
   * `.part`; where that name is taken, the lock is taken and the `.part` is written as under it.
   */
  finishWholeSync(chunks: Buffer[]): void {
    const final = this.site!.final;
    if (!this.#lock) {
      if (publishWholeSync(wholeTempOf(final), final, chunks, this.mtimeMs)) return;
      this.lock();
    }
    this.#stillOurs();
    this.#dropState();
    writeWholeSync(this.path, final, chunks, this.mtimeMs);
  }

  /**
   * Gives the complete (and verified) `.part` its final name, if it still is the file this download wrote and
   * holds the `bytes` it counted (else PartChangedError: the next attempt starts over).
   */
  async finish(bytes: number): Promise<void> {
    this.#stillOurs();
    if (this.#file) checkPart(this.path, this.#file, bytes);
    this.#dropState();
    await commitPart(this.path, this.site!.final, this.mtimeMs);
    this.segments = undefined;
  }

  /** Removes the `.part` and its state: nothing of it is worth resuming. (Only a `.part` this download holds.) */
  async drop(): Promise<void> {
    if (this.site && this.#lock) {
      await discardPart(this.site.part);
      this.#dropState();
    }
    this.offset = 0;
    this.segments = undefined;
  }

  /** The download moves to another folder's site (a temporary name that got its own); the old one is released. */
  moveTo(site: Site): void {
    this.release();
    this.site = site;
  }

  /** The lock goes, then the folder (the lock's path goes through it). */
  release(): void {
    this.#lock?.release();
    this.#lock = undefined;
    this.site?.release();
  }

  /** A lock taken over by a run on another host: the `.part` is that run's now; this one waits and looks again. */
  #stillOurs(): void {
    try {
      this.#lock?.check(this.path);
    } catch (err) {
      this.#lock?.release();
      this.#lock = undefined;
      this.#waited = true;
      throw err;
    }
  }

  /** Records (or clears) what a later run needs to resume this `.part`, before any body byte is in it. */
  keepState(): void {
    if (this.validator !== undefined) {
      writeResumeState(this.path, {
        url: this.url,
        from: this.#from(),
        validator: this.validator,
        total: this.total,
      });
      this.#meta = true;
    } else this.#dropState();
  }

  #from(): string | undefined {
    return this.source === this.url ? undefined : this.source;
  }

  #dropState(): void {
    if (this.#meta) removeResumeState(this.path);
    this.#meta = false;
  }
}

/** `[0, total)` cut into `n` ranges of near-equal size (the first ones one byte longer when it does not divide). */
export function planSegments(total: number, n: number): Segment[] {
  const count = Math.max(1, Math.min(n, total));
  const base = Math.floor(total / count);
  const longer = total % count;
  const out: Segment[] = [];
  let start = 0;
  for (let i = 0; i < count; i++) {
    const end = start + base + (i < longer ? 1 : 0);
    out.push({ start, pos: start, end });
    start = end;
  }
  return out;
}

/** Bytes of the segments already written. */
export function segmentBytes(segments: readonly Segment[]): number {
  return segments.reduce((n, s) => n + (s.pos - s.start), 0);
}
