import { DlpoolError, type ErrorCode, ERROR_CODES } from '../errors.js';
import type { DownloadEvent, FileResult } from '../events.js';
import type { NetrcEntry } from '../credentials/netrc.js';
import type { Job } from '../jobs/job.js';
import type { NormalizedOptions } from '../options.js';
import type { SharedCompactMap } from '../common/string-set.js';

/**
 * Messages between the threads engine and its workers. Everything here survives structured cloning:
 * no URL objects, functions, streams or signals.
 */

/** The options a worker needs; the main thread keeps sources, stdin, the signal and the listener. */
export type WireOptions = Omit<
  NormalizedOptions,
  'sources' | 'entries' | 'stdin' | 'stdout' | 'signal' | 'onEvent' | 'transport'
>;

export interface WorkerInit {
  opts: WireOptions;
  /** The --checksums digests, shared memory (ExpectedDigests): read in place, not copied. */
  expected: SharedCompactMap | undefined;
  /** PEM text of --ca-certificate, read once by the main thread. */
  ca: string | undefined;
  /** The run has cookies (--cookie, --cookie-jar): the worker asks the main thread's jar for them. */
  cookies: boolean;
  /** The netrc's entries (--netrc), read once by the main thread. */
  netrc: readonly NetrcEntry[] | undefined;
  /** The output directory held nothing when the run started (see DirMaker). */
  rootWasEmpty: boolean;
  /** The run's --limit-rate bucket, shared memory (RateLimiter.shared()): every worker takes from it. */
  rateBucket: SharedArrayBuffer | undefined;
  /** The time of the run's own clock (RunClock.time), when it has one: the worker sleeps on it (thread-clock). */
  clock: Float64Array | undefined;
}

/** A Job as it crosses to a worker: its URLs as hrefs. */
export type WireJob = Omit<Job, 'url' | 'mirrors'> & {
  href: string;
  /** Mirror URLs, as hrefs. */
  mirrors: string[];
};

export interface WireError {
  message: string;
  /** A dlpool code when the error was a DlpoolError. */
  code?: ErrorCode | undefined;
  /** The system error code (ENOENT, EACCES, ...). */
  errno?: string | undefined;
}

/** Main thread → worker. */
export type ToWorker =
  | { type: 'job'; job: WireJob }
  | { type: 'abort'; reason: unknown }
  | { type: 'reply'; req: number; value?: string; error?: WireError }
  | { type: 'close' }
  /** Answered with a pong from the worker's next turn (QuietRounds). */
  | { type: 'ping' };

/** Worker → main thread. Events arrive batched; progress is coalesced per file before it is sent. */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'pong' }
  | { type: 'events'; events: DownloadEvent[] }
  | { type: 'result'; result: FileResult }
  | { type: 'claim'; req: number; rel: string }
  /** A server-offered name, claimed in list order; the reply is '' when it is not this job's turn yet. */
  | { type: 'claimOffered'; req: number; id: number; rel: string; wait: boolean }
  | { type: 'hash'; req: number; path: string; algorithm: string }
  | { type: 'borrow'; req: number; id: number; max: number }
  | { type: 'giveBack'; id: number; n: number }
  | { type: 'park'; id: number }
  | { type: 'unpark'; req: number; id: number }
  /** A wait on the run's own clock; the reply comes when it is over. */
  | { type: 'sleep'; req: number; ms: number }
  /** --host-rate: a turn at `host` (the reply is the wait in ms), its rests, a 429/503 from it. */
  | { type: 'reserve'; req: number; host: string }
  | { type: 'rests'; req: number; host: string }
  | { type: 'slowDown'; host: string; retryAfterMs: number | undefined }
  /** --cookie: the Cookie header for `url` (the reply), and the Set-Cookie values a response from `url` sent. */
  | { type: 'cookies'; req: number; url: string }
  | { type: 'setCookies'; url: string; values: readonly string[] }
  /** The worker gave up waiting for the reply to `req`. */
  | { type: 'cancel'; req: number };

/**
 * Messages to one thread, posted together once per turn of the event loop: a postMessage costs ~25 us on each
 * side, and each small file needs three of them (job, start, result), which batching sends as one. The port
 * carries arrays. `flush()` sends at once (before abort and close, which must not wait behind a turn).
 */
export class Outbox<T> {
  #items: T[] = [];
  #scheduled = false;
  constructor(private readonly send: (batch: T[]) => void) {}

  post(m: T): void {
    this.#items.push(m);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.flush());
  }

  flush(): void {
    this.#scheduled = false;
    if (this.#items.length === 0) return;
    const batch = this.#items;
    this.#items = [];
    this.send(batch);
  }
}

export function wireOptions(o: NormalizedOptions): WireOptions {
  const {
    sources: _s,
    entries: _e,
    stdin: _i,
    stdout: _t,
    signal: _g,
    onEvent: _o,
    transport: _d,
    ...rest
  } = o;
  return rest;
}

export function toWireJob(j: Job): WireJob {
  const { url, mirrors, ...rest } = j;
  return { ...rest, href: url.href, mirrors: mirrors.map((m) => m.href) };
}

export function fromWireJob(w: WireJob): Job {
  const { href, mirrors, ...rest } = w;
  return { ...rest, url: new URL(href), mirrors: mirrors.map((m) => new URL(m)) };
}

export function toWireError(err: unknown): WireError {
  const message = err instanceof Error ? err.message : String(err);
  const errno =
    err && typeof err === 'object' && 'errno' in err && typeof err.errno === 'string'
      ? err.errno
      : err && typeof err === 'object' && 'code' in err && typeof err.code === 'string'
        ? err.code
        : undefined;
  return { message, code: err instanceof DlpoolError ? err.code : undefined, errno };
}

/** Rebuilds an error on the other side: a DlpoolError keeps its code, a system error its errno as `code`. */
export function fromWireError(w: WireError): Error {
  if (w.code !== undefined && w.code in ERROR_CODES)
    return new DlpoolError(w.code, w.message, { errno: w.errno });
  return Object.assign(new Error(w.message), w.errno === undefined ? {} : { code: w.errno });
}
