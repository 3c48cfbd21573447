import { EventEmitter } from 'node:events';
import { transportError } from './failure.js';

/** Bytes that may wait in a body nobody reads yet (or that is paused) before the socket is paused too. */
const QUEUE_MAX_BYTES = 1024 * 1024;
/** A body discarded with dump() is read to its end (keeping the connection) only up to this size. */
const DUMP_MAX_BYTES = 128 * 1024;

/**
 * A response body fed straight from the transport's handler: 'data', 'end', 'error' and 'close' events,
 * pause/resume that reach the socket, destroy() that aborts the request. Not a Readable: its buffering and
 * stream machinery cost more than the bytes themselves on small files, and its backpressure (a socket paused
 * whenever 64 KiB wait) halves the throughput of large ones. Only what dlpool uses is here.
 *
 * Chunks that arrive before anyone listens (the headers resolve a promise, and the first bytes are often
 * parsed in the same read) wait in a queue and are delivered, in order, when a 'data' listener is added.
 */
export class ResponseBody extends EventEmitter {
  /** The error the body failed with, once it did (null otherwise, like Readable.errored). */
  errored: Error | null = null;
  /** True once 'end' was emitted: every byte was delivered. */
  readableEnded = false;
  /** True once the body ended, failed or was destroyed. */
  destroyed = false;

  #queue: Buffer[] = [];
  #queued = 0;
  #flowing = false;
  #paused = false;
  /** The transport has delivered the last byte (complete()); 'end' follows once the queue is delivered. */
  #complete = false;
  #scheduled = false;
  #socketPaused = false;
  #dumping = false;
  #dumped = 0;
  /** A collect() in progress: chunks go to it instead of 'data' listeners. */
  #collector: Collector | undefined;

  constructor(
    private readonly abortRequest: (reason: Error) => void,
    private resumeSocket: (() => void) | undefined,
  ) {
    super();
  }

  /** A 'data' listener starts the flow, as on a Readable. */
  override on(event: string | symbol, listener: (...args: never[]) => void): this {
    super.on(event, listener as (...args: unknown[]) => void);
    if (event === 'data' && !this.#flowing) {
      this.#flowing = true;
      this.#schedule();
    }
    return this;
  }

  /** From the dispatch handler: returns false when the socket should pause. */
  push(chunk: Buffer): boolean {
    if (this.destroyed) return true;
    if (this.#dumping) {
      this.#dumped += chunk.length;
      if (this.#dumped > DUMP_MAX_BYTES) this.destroy();
      return true;
    }
    if (this.#flowing && !this.#paused && this.#queued === 0) {
      this.#data(chunk);
      return true;
    }
    this.#queue.push(chunk);
    this.#queued += chunk.length;
    if (this.#queued < QUEUE_MAX_BYTES) return true;
    this.#socketPaused = true;
    return false;
  }

  /** From the dispatch handler: the body is complete. */
  complete(): void {
    if (this.destroyed) return;
    this.#complete = true;
    this.#schedule();
  }

  /** From the dispatch handler: the request failed (cut, timeout, abort). Bytes already delivered stay so. */
  fail(err: Error): void {
    if (this.destroyed) return;
    // Bytes that already arrived are delivered first when someone reads: they are kept for the resume.
    if (this.#flowing && !this.#paused) this.#deliver();
    this.#finish(err);
  }

  /**
   * Takes a small body whole into `into`: resolves with the bytes received once it has ended, or as soon as more
   * than `max` arrived (the body is destroyed then, the last chunk not kept); rejects when it fails, the chunks
   * that arrived staying in `into` for the resume. (One collector per small file, where listening would take four
   * listeners and a promise.)
   */
  collect(into: Buffer[], max: number): Promise<number> {
    return new Promise((resolve, reject) => {
      if (this.destroyed) return reject(this.#failure(undefined));
      const c: Collector = { into, max, received: 0, resolve, reject };
      this.#collector = c;
      this.#flowing = true;
      this.#schedule();
    });
  }

  /** A chunk for the reader: the collector's, or 'data' listeners'. */
  #data(chunk: Buffer): void {
    const c = this.#collector;
    if (c === undefined) {
      this.emit('data', chunk);
      return;
    }
    c.received += chunk.length;
    if (c.received > c.max) {
      this.#collector = undefined;
      this.destroy();
      c.resolve(c.received);
      return;
    }
    c.into.push(chunk);
  }

  /** Why the body did not end: its error, or a connection closed early (as a Readable's would say). */
  #failure(err: Error | undefined): Error {
    return this.errored ?? err ?? transportError('closed', 'the response closed early');
  }

  pause(): this {
    this.#paused = true;
    return this;
  }

  resume(): this {
    if (!this.#paused) return this;
    this.#paused = false;
    this.#schedule();
    return this;
  }

  /** Stops the body: the request is aborted; 'error' (with `err`) and 'close' follow. */
  destroy(err?: Error): this {
    if (this.destroyed) return this;
    const reason = err ?? transportError('aborted', 'the response body was destroyed');
    if (!this.#complete) this.abortRequest(reason);
    this.#finish(err);
    return this;
  }

  /** Discards the rest of the body; a long one closes its connection instead of being read. */
  dump(): Promise<void> {
    if (this.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      this.once('close', () => resolve());
      this.#dumping = true;
      this.#dumped = this.#queued;
      this.#queue = [];
      this.#queued = 0;
      this.#flowing = true;
      this.#paused = false;
      if (this.#dumped > DUMP_MAX_BYTES) this.destroy();
      else this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    process.nextTick(() => {
      this.#scheduled = false;
      if (this.destroyed || !this.#flowing) return;
      if (!this.#paused) this.#deliver();
      if (this.#paused || this.destroyed) return;
      if (this.#complete) {
        this.readableEnded = true;
        this.#finish(undefined);
        return;
      }
      if (this.#socketPaused) {
        this.#socketPaused = false;
        this.resumeSocket?.();
      }
    });
  }

  #deliver(): void {
    while (this.#queue.length > 0 && !this.#paused && !this.destroyed) {
      const chunk = this.#queue.shift()!;
      this.#queued -= chunk.length;
      if (!this.#dumping) this.#data(chunk);
    }
  }

  /** State changes now; the events follow on the next tick, as a Readable's do (callers rely on that order). */
  #finish(err: Error | undefined): void {
    this.destroyed = true;
    this.#queue = [];
    this.#queued = 0;
    this.resumeSocket = undefined;
    if (err && !this.readableEnded) this.errored = err;
    process.nextTick(() => {
      const c = this.#collector;
      this.#collector = undefined;
      if (c) {
        if (this.readableEnded) c.resolve(c.received);
        else c.reject(this.#failure(err));
      }
      if (this.readableEnded) this.emit('end');
      else if (err) this.emit('error', err);
      this.emit('close');
    });
  }
}

interface Collector {
  into: Buffer[];
  max: number;
  received: number;
  resolve: (received: number) => void;
  reject: (err: Error) => void;
}
