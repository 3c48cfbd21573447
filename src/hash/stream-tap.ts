import type crypto from 'node:crypto';
import type { Worker } from 'node:worker_threads';
import { packageUrl } from '../paths.js';
import { createDigest } from './algorithms.js';

/**
 * A digest fed with a download's bytes as they arrive. `inline` computes it on the event loop; with
 * `--hash-pool threads` the bytes go to a digest thread (TapPool), so the event loop only copies them.
 */
export interface Tap {
  /** Feeds bytes. False when the digest is behind by more than its share: pause the source (whenDrained). */
  update(chunk: Uint8Array): boolean;
  /** Resolves once the digest has caught up enough to take more. */
  whenDrained(): Promise<void>;
  /** The digest (hex) of every byte fed. */
  digest(): string | Promise<string>;
  /** Not wanted any more (the attempt failed): its state is dropped. */
  release(): void;
}

/** The event loop's own digest (node:crypto, ~1-1.6 GB/s per core here). */
export class InlineTap implements Tap {
  readonly #hash: crypto.Hash;
  constructor(algorithm: string) {
    this.#hash = createDigest(algorithm);
  }
  update(chunk: Uint8Array): boolean {
    this.#hash.update(chunk);
    return true;
  }
  whenDrained(): Promise<void> {
    return Promise.resolve();
  }
  digest(): string {
    return this.#hash.digest('hex');
  }
  release(): void {}
}

/** Main thread -> digest thread. */
export type ToTapWorker =
  | { t: 'open'; id: number; algorithm: string }
  | { t: 'data'; id: number; buf: ArrayBuffer; len: number }
  | { t: 'end'; id: number }
  | { t: 'drop'; id: number };

/** Digest thread -> main thread: a buffer hashed (given back to be filled again), or a digest. */
export type FromTapWorker =
  | { t: 'buf'; id: number; buf: ArrayBuffer; len: number }
  | { t: 'hex'; id: number; hex?: string; error?: string };

/** Bytes per message: copies into a buffer of this size, then hands the buffer over (transferred, not copied). */
const BUFFER_BYTES = 1024 * 1024;
/** A digest this far behind its download pauses the download (memory stays bounded). */
const BEHIND_MAX = 8 * BUFFER_BYTES;
/** Spare buffers kept for reuse (fresh memory costs page faults on every use). */
const SPARE_MAX = 64;

const TAP_WORKER_URL = packageUrl('dist/hash/tap-worker.js');

class TapThread {
  readonly worker: Worker;
  readonly taps = new Map<number, WorkerTap>();
  readonly digests = new Map<number, { resolve: (hex: string) => void; reject: (err: Error) => void }>();
  dead = false;

  constructor(pool: TapPool) {
    // node:worker_threads is loaded with the first digest thread, not with the CLI: ~1.5 ms of every start.
    const { Worker } = process.getBuiltinModule('node:worker_threads');
    this.worker = new Worker(TAP_WORKER_URL);
    this.worker.on('message', (m: FromTapWorker) => {
      if (m.t === 'buf') {
        pool.giveBack(m.buf);
        this.taps.get(m.id)?.hashed(m.len);
        return;
      }
      const waiting = this.digests.get(m.id);
      this.digests.delete(m.id);
      this.taps.delete(m.id);
      if (m.hex !== undefined) waiting?.resolve(m.hex);
      else waiting?.reject(new Error(m.error ?? 'digest failed'));
    });
    // A digest thread that fails takes its digests with it; the downloads hash their files by path instead
    // (digestOf), and the next taps get a fresh thread.
    const die = (err: unknown) =>
      this.die(err instanceof Error ? err : new Error(`digest thread: ${String(err)}`));
    this.worker.on('error', die);
    this.worker.on('exit', (code) => die(new Error(`digest thread exited (${code})`)));
  }

  post(m: ToTapWorker, transfer?: ArrayBuffer[]): void {
    if (!this.dead) this.worker.postMessage(m, transfer);
  }

  die(err: Error): void {
    if (this.dead) return;
    this.dead = true;
    for (const d of this.digests.values()) d.reject(err);
    this.digests.clear();
    for (const tap of this.taps.values()) tap.orphaned();
    this.taps.clear();
  }
}

/**
 * The digest threads of `--hash-pool threads` for downloads: each tap is served by one thread (its digest's
 * state lives there), taps spread over `size` threads started on first use. tinypool runs tasks, not
 * streams (a digest cannot move between threads), hence this small protocol of its own.
 */
export class TapPool {
  readonly #threads: TapThread[] = [];
  #next = 0;
  #ids = 0;
  readonly #spare: ArrayBuffer[] = [];

  constructor(private readonly size: number) {}

  tap(algorithm: string): Tap {
    return new WorkerTap(this, this.#thread(), ++this.#ids, algorithm);
  }

  buffer(): ArrayBuffer {
    return this.#spare.pop() ?? new ArrayBuffer(BUFFER_BYTES);
  }

  giveBack(buf: ArrayBuffer): void {
    if (this.#spare.length < SPARE_MAX && buf.byteLength === BUFFER_BYTES) this.#spare.push(buf);
  }

  async close(): Promise<void> {
    const threads = this.#threads.splice(0);
    for (const t of threads) t.die(new Error('the digest threads were closed'));
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }

  #thread(): TapThread {
    // A dead thread is replaced (its slot reused).
    const i = this.#next++ % this.size;
    let t = this.#threads[i];
    if (!t || t.dead) {
      t = new TapThread(this);
      this.#threads[i] = t;
    }
    return t;
  }
}

class WorkerTap implements Tap {
  #buf: ArrayBuffer | undefined;
  #view: Uint8Array | undefined;
  #at = 0;
  /** Bytes handed over and not yet hashed. */
  #behind = 0;
  #drained: (() => void) | undefined;
  #ended = false;
  /** Its thread died: bytes are no longer sent, and digest() fails (the caller hashes the file instead). */
  #orphaned = false;

  constructor(
    private readonly pool: TapPool,
    private readonly thread: TapThread,
    private readonly id: number,
    algorithm: string,
  ) {
    thread.taps.set(id, this);
    thread.post({ t: 'open', id, algorithm });
  }

  update(chunk: Uint8Array): boolean {
    if (this.#orphaned) return true;
    let o = 0;
    while (o < chunk.length) {
      if (!this.#buf) {
        this.#buf = this.pool.buffer();
        this.#view = new Uint8Array(this.#buf);
        this.#at = 0;
      }
      const n = Math.min(chunk.length - o, BUFFER_BYTES - this.#at);
      this.#view!.set(chunk.subarray(o, o + n), this.#at);
      this.#at += n;
      o += n;
      if (this.#at === BUFFER_BYTES) this.#send();
    }
    return this.#behind < BEHIND_MAX;
  }

  whenDrained(): Promise<void> {
    if (this.#orphaned || this.#behind < BEHIND_MAX) return Promise.resolve();
    return new Promise((resolve) => (this.#drained = resolve));
  }

  digest(): Promise<string> {
    if (this.#orphaned || this.thread.dead) return Promise.reject(new Error('the digest thread died'));
    if (this.#buf && this.#at > 0) this.#send();
    this.#returnBuffer();
    this.#ended = true;
    return new Promise((resolve, reject) => {
      this.thread.digests.set(this.id, { resolve, reject });
      this.thread.post({ t: 'end', id: this.id });
    });
  }

  release(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#returnBuffer();
    this.thread.taps.delete(this.id);
    this.thread.post({ t: 'drop', id: this.id });
  }

  /** The thread hashed `len` more bytes. */
  hashed(len: number): void {
    this.#behind -= len;
    if (this.#behind < BEHIND_MAX) this.#wake();
  }

  orphaned(): void {
    this.#orphaned = true;
    this.#wake();
  }

  #wake(): void {
    const d = this.#drained;
    this.#drained = undefined;
    d?.();
  }

  #send(): void {
    const buf = this.#buf!;
    this.thread.post({ t: 'data', id: this.id, buf, len: this.#at }, [buf]);
    this.#behind += this.#at;
    this.#buf = undefined;
    this.#view = undefined;
    this.#at = 0;
  }

  #returnBuffer(): void {
    if (this.#buf) this.pool.giveBack(this.#buf);
    this.#buf = undefined;
    this.#view = undefined;
  }
}
