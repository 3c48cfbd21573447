import type { RateLimiter } from './rate.js';
import { EventEmitter } from 'node:events';
import { MAX_DELAY_MS } from '../option-values.js';
import type { Dispatcher } from 'undici';
import { type SpeedFloor, unwatchSpeed, type Watched, watchSpeed } from './speed-floor.js';

/** Bytes that may wait in a body nobody reads yet (or that is paused) before the socket is paused too. */
const QUEUE_MAX_BYTES = 1024 * 1024;
/** A body discarded with dump() is read to its end (keeping the connection) only up to this size. */
const DUMP_MAX_BYTES = 128 * 1024;

/**
 * A response body fed straight from undici's dispatch handler: 'data', 'end', 'error' and 'close' events,
 * pause/resume that reach the socket, destroy() that aborts the request. It replaces undici's Readable, whose
 * buffering and stream machinery cost more than the bytes themselves on small files, and whose backpressure
 * (a socket paused whenever 64 KiB wait) halved the throughput of large ones. Only what dlpool uses is here.
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
  /** undici has delivered the last byte (onComplete); 'end' follows once the queue is delivered. */
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
   * that arrived staying in `into` for the resume. (Per file, this replaced four listeners and their promise.)
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
    return (
      this.errored ?? err ?? Object.assign(new Error('the response closed early'), { code: 'UND_ERR_SOCKET' })
    );
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
    const reason =
      err ?? Object.assign(new Error('the response body was destroyed'), { code: 'UND_ERR_ABORTED' });
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

export interface RawResponse {
  statusCode: number;
  /** The reason phrase as the server sent it (--verbose shows it). */
  statusText: string;
  headers: Record<string, string | string[] | undefined>;
  body: ResponseBody;
}

/** Response headers as undici's request() gives them: names lower-cased, repeated ones as arrays. */
function parseHeaders(raw: Buffer[]): Record<string, string | string[] | undefined> {
  const out: Record<string, string | string[] | undefined> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1').toLowerCase();
    const value = raw[i + 1]!.toString('latin1');
    const had = out[name];
    if (had === undefined) out[name] = value;
    else if (Array.isArray(had)) had.push(value);
    else out[name] = [had, value];
  }
  return out;
}

/**
 * One GET through undici's dispatch(): resolves with the status and headers as soon as they arrive, the body
 * following as a ResponseBody. Rejects when the request fails before the headers (connect errors, timeouts,
 * `signal`). `signal` aborting later destroys the body with the signal's reason.
 */
export function dispatchGet(
  dispatcher: Dispatcher,
  req: {
    origin: string;
    path: string;
    headers: Record<string, string>;
    signal: AbortSignal;
    speed?: SpeedFloor | undefined;
    /** --limit-rate: the run's shared bucket; the socket pauses while it refills. */
    limiter?: RateLimiter | undefined;
    /** Close the connection after the response ("connection: close"). */
    close?: boolean | undefined;
    /** The time from sending the request to its final headers, informational (1xx) answers included. */
    headersTimeoutMs?: number | undefined;
    /** undici's headers and body timeouts for this request, over the dispatcher's (an entry's timeout=). */
    idleTimeoutMs?: number | undefined;
    /** HEAD for --spider. @default 'GET' */
    method?: 'GET' | 'HEAD' | undefined;
  },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const { signal } = req;
    let abort: ((reason: Error) => void) | undefined;
    let body: ResponseBody | undefined;
    /** Body bytes still to come by Content-Length (Infinity when it is not given). */
    let left = Infinity;
    let settled = false;
    let speed: Watched | undefined;
    let resumeSocket: (() => void) | undefined;
    let sentAt = 0;
    let hints: NodeJS.Timeout | undefined;
    const reasonOf = () => (signal.reason instanceof Error ? signal.reason : abortError(signal.reason));
    const onAbort = () => {
      if (body) body.destroy(reasonOf());
      else abort?.(reasonOf());
    };
    if (signal.aborted) return reject(reasonOf());
    const unsubscribe = onAbortOf(signal, onAbort);
    const done = () => {
      unsubscribe();
      if (speed) unwatchSpeed(speed);
      if (hints) clearTimeout(hints);
    };
    const handler: Dispatcher.DispatchHandler = {
      onConnect(abortFn) {
        abort = abortFn;
        sentAt = performance.now();
        if (signal.aborted) abortFn(reasonOf());
      },
      onHeaders(statusCode, rawHeaders, resume, statusText) {
        if (statusCode < 200) {
          // Informational: the real answer follows. undici restarts its headers timeout at each one, so a
          // server sending 103 Early Hints for ever would hold the download for ever: the first one starts a
          // deadline of our own, counted from the request.
          const ms = req.headersTimeoutMs;
          if (hints === undefined && ms !== undefined) {
            const left = Math.max(0, sentAt + ms - performance.now());
            hints = setTimeout(() => abort?.(headersTimeout(ms)), Math.min(left, MAX_DELAY_MS));
          }
          return true;
        }
        if (hints) clearTimeout(hints);
        resumeSocket = resume;
        body = new ResponseBody(abort ?? (() => {}), resume);
        if (req.speed && req.speed.minBytesPerSec > 0) speed = watchSpeed(body, req.speed);
        settled = true;
        const headers = parseHeaders(rawHeaders as unknown as Buffer[]);
        const length = Number(headers['content-length']);
        if (Number.isSafeInteger(length) && length >= 0) left = length;
        resolve({ statusCode, statusText, headers, body });
        return true;
      },
      onData(chunk) {
        if (speed) speed.bytes += chunk.length;
        const more = body!.push(chunk);
        const wait = req.limiter?.take(chunk.length) ?? 0;
        left -= chunk.length;
        // The last bytes are not waited for here: a parser paused after them does not see the response end, and a
        // server closing the idle connection meanwhile (a keep-alive timeout) makes that 'other side closed'.
        if (left <= 0) return true;
        if (wait === 0) return more;
        // Over the rate: the socket rests until the bucket has refilled (a body that has ended meanwhile
        // ignores the late resume).
        setTimeout(() => {
          if (!body?.destroyed) resumeSocket?.();
        }, wait);
        return false;
      },
      onComplete() {
        // The body ends once the bytes taken are paid for (its last ones were not waited for in onData), as wget
        // sleeps after its last read: a run's average stays within --limit-rate.
        if (speed) unwatchSpeed(speed);
        speed = undefined;
        const end = () => {
          done();
          body?.complete();
        };
        const wait = req.limiter?.debtMs() ?? 0;
        if (wait === 0) end();
        else setTimeout(end, wait);
      },
      onError(err) {
        done();
        if (!settled) {
          settled = true;
          reject(err);
        } else body?.fail(err);
      },
    };
    const method = req.method ?? 'GET';
    try {
      const idle = req.idleTimeoutMs;
      const timeouts = idle === undefined ? undefined : { headersTimeout: idle, bodyTimeout: idle };
      const o = { origin: req.origin, path: req.path, method, headers: req.headers, ...timeouts };
      dispatcher.dispatch(req.close ? { ...o, reset: true } : o, handler);
    } catch (err) {
      done();
      reject(err);
    }
  });
}

/**
 * One 'abort' listener per signal, however many requests wait on it: adding and removing a listener on Node's
 * EventTarget costs microseconds, paid twice per file when every request listened to the run's signal itself.
 * Returns the unsubscribe function.
 */
const abortSubscribers = new WeakMap<AbortSignal, Set<() => void>>();

export function onAbortOf(signal: AbortSignal, fn: () => void): () => void {
  let subscribers = abortSubscribers.get(signal);
  if (subscribers === undefined) {
    const set = new Set<() => void>();
    abortSubscribers.set(signal, set);
    signal.addEventListener(
      'abort',
      () => {
        for (const f of [...set]) f();
        set.clear();
      },
      { once: true },
    );
    subscribers = set;
  }
  const set = subscribers;
  set.add(fn);
  return () => set.delete(fn);
}

/** Classified as undici's own headers timeout (a TimeoutError, phase 'headers'). */
function headersTimeout(ms: number): Error {
  return Object.assign(new Error(`no final answer within ${ms} ms (informational answers only)`), {
    code: 'UND_ERR_HEADERS_TIMEOUT',
  });
}

function abortError(reason: unknown): Error {
  return Object.assign(
    new Error(`the request was aborted${reason === undefined ? '' : `: ${String(reason)}`}`),
    {
      name: 'AbortError',
      code: 'UND_ERR_ABORTED',
    },
  );
}
