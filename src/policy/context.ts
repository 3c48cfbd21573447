import { setTimeout as sleep } from 'node:timers/promises';
import type { Digest, ErrorInfo, EventListener } from '../events.js';
import type { DirMaker } from '../file/dirs.js';
import type { KeptEtag } from '../store/etag-store.js';
import { PartFile } from '../file/part-file.js';
import type { Hasher } from '../hash/hasher.js';
import type { Job } from '../jobs/job.js';
import type { NameClaimer } from '../jobs/naming.js';
import { MAX_DELAY_MS, type NormalizedOptions } from '../options.js';
import type { ExpectedDigests } from '../verify/manifest.js';
import type { KeepAlive } from '../transport/keep-alive.js';
import type { Transport } from '../transport/transport.js';
import type { NetrcEntry } from '../credentials/netrc.js';
import type { CookieAccess } from '../credentials/cookie-access.js';
import type { RateLimiter } from '../transport/rate.js';

/**
 * A clock of the caller's own for the run's waits (a retry's delay, a Retry-After, a --host-rate turn) and for
 * the host gates' time. Tests give one so a Retry-After of seconds takes none (test/helpers/clock.ts). --limit-rate
 * stays on real time: bodies arrive in real time.
 */
export interface RunClock {
  now(): number;
  /** Waits `ms`, rejecting when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  /** now() in shared memory ([0], written by the clock alone), so worker threads read the same time. */
  readonly time: Float64Array;
  /**
   * The engine's downloads run where this event loop does not see them (worker threads): the clock moves on
   * only once `settled()` resolves. Returns the function that stops the watch.
   */
  watch?(settled: () => Promise<void>): () => void;
}

/**
 * --host-rate's turns (HostGate), answered at once on the thread that holds the gates, or by asking it (a worker
 * thread of --mode threads: every thread takes its turns from the run's one set of gates).
 */
export interface HostTurns {
  /** Milliseconds to wait before a request to `host` may start; the start is booked. */
  reserve(host: string): number | Promise<number>;
  /** How many times `host` said it was overloaded (a turn booked before the latest is booked again). */
  rests(host: string): number | Promise<number>;
  /** `host` answered 429 or 503. */
  slowDown(host: string, retryAfterMs: number | undefined): void;
}

/** What one download needs from its run; shared by every job of the run. */
export interface FetchContext {
  opts: NormalizedOptions;
  transport: Transport;
  /** Claims final names for the run (in threads mode, a worker asks the main thread). */
  names: NameClaimer;
  dirs: DirMaker;
  signal: AbortSignal;
  emit: EventListener;
  /** The jitter of retry delays (Math.random when absent). */
  random?: () => number;
  /** The run's waits and their time (see RunClock): timers and performance.now() when absent. */
  clock?: RunClock | undefined;
  /** Where digests are computed (inline, threads, processes); pools start on first use. */
  hasher: Hasher;
  /** Expected digests from --checksums, by path relative to the output directory. */
  expected: ExpectedDigests | undefined;
  /** PEM text of --ca-certificate, read once; thread workers build their own transport from it. */
  ca?: string | undefined;
  /** Extra connections for segmented downloads (-x), lent from the run's -j slots; none when absent. */
  slots?: ConnectionLender | undefined;
  /** --host-rate: request starts per host, for every download of the run. */
  hostGate?: HostTurns | undefined;
  /** --limit-rate: one bucket for every download of this event loop. */
  limiter?: RateLimiter | undefined;
  /** Which connections to keep alive after their request (lists over many hosts); all when absent. */
  keepAlive?: KeepAlive | undefined;
  /** The run's cookies (--cookie, --cookie-jar): the jar, or a worker's way to it. */
  cookies?: CookieAccess | undefined;
  /** The netrc's entries (--netrc, --netrc-file), read once by the main thread. */
  netrc?: readonly NetrcEntry[] | undefined;
  /** Keys of the warnings already given (sayOnce). */
  said?: Set<string> | undefined;
}

export interface ConnectionLender {
  /** Up to `max` extra connections for `job`, as many as are free now (possibly 0). */
  borrow(job: Job, max: number): number | Promise<number>;
  giveBack(job: Job, n: number): void;
  /**
   * The job's own slot is free for others while it sleeps before a retry, or waits for its turn to take a name
   * (nameInTurn)... A job may end parked: its slot is then simply not taken back.
   */
  park?(job: Job): void;
  /** ...and is its own again (after waiting for one) before the retry starts. */
  unpark?(job: Job): Promise<void>;
  /**
   * Parks the job's slot once its body is whole in memory and only synchronous file work is left (see
   * lendForFileWork): offered only where parking costs no message (the async engine).
   */
  lend?(job: Job): void;
}

export interface Done {
  bytes: number;
  digest: Digest | undefined;
}

/** A download's state before its first attempt; `o` for the ways that take one whole answer (--spider, -o -). */
export function newDownloadState(
  job: Job,
  o: { noSplit?: boolean; checksumRetried?: boolean } = {},
): DownloadState {
  return {
    rel: job.rel,
    shownUrl: undefined,
    offered: undefined,
    attempts: 0,
    resumed: false,
    fromEarlierRun: 0,
    checksumRetried: o.checksumRetried ?? false,
    segmentRetries: 0,
    noSplit: o.noSplit ?? false,
    part: new PartFile(job.displayUrl),
    present: undefined,
    answer: undefined,
    lent: false,
  };
}

/** Per-download state that survives from one attempt to the next (what its `.part` holds: `part`). */
export interface DownloadState {
  rel: string | undefined;
  /** The URL of the current attempt as shown (credentials removed): the entry's, or a mirror's. */
  shownUrl: string | undefined;
  /**
   * A --content-disposition download whose answer came before its turn to claim a name: the name offered, to
   * be claimed when the download is complete; until then `rel` is a temporary name (see nameFromResponse).
   */
  offered: string | undefined;
  attempts: number;
  resumed: boolean;
  /** Bytes an earlier run left in the `.part` this download continues (not transferred by this run). */
  fromEarlierRun: number;
  /** A checksum mismatch gets one fresh download; set once it has been used. */
  checksumRetried: boolean;
  /** Retries of single segments (each also counts in the result's attempts). */
  segmentRetries: number;
  /** Set when the server turned out not to serve ranges: this file is not split again. */
  noSplit: boolean;
  /** The `.part`, its resume state and its folder. */
  part: PartFile;
  /** -N: the file already there that the request asks the server about (see timestamping.ts). */
  present: Present | undefined;
  /** -N: what the answer whose body is being received says of its file (see noteAnswer). */
  answer:
    { etag: string | undefined; lastModifiedMs: number | undefined; length: number | undefined } | undefined;
  /** Its slot went to the next download while its file was written (lendForFileWork); a retry takes it back. */
  lent: boolean;
}

/** A file already there, as -N asks the server about it. */
export interface Present {
  size: number;
  mtimeMs: number;
  /** The ETag a -N run downloaded it with, while the file is still that one (see etag-store.ts). */
  kept: KeptEtag | undefined;
}

/** How this run waits: the run's clock (FetchContext.clock), else a timer that `signal` ends early (rejecting). */
export function sleepOf(ctx: FetchContext): (ms: number, signal: AbortSignal) => Promise<void> {
  return ctx.clock?.sleep ?? timerSleep;
}

// Clamped: a longer delay would overflow Node's timer and fire after 1 ms.
const timerSleep = (ms: number, signal: AbortSignal): Promise<void> =>
  sleep(Math.min(ms, MAX_DELAY_MS), undefined, { signal });

/** A warning given once per run (per worker in --mode threads) for each `key`. */
export function sayOnce(ctx: FetchContext, key: string, message: string): void {
  const said = (ctx.said ??= new Set());
  if (said.has(key)) return;
  said.add(key);
  ctx.emit({ type: 'warning', message });
}

/** The `start` event of an attempt: the file's name, its size when known, and where this attempt begins. */
export function emitStart(
  ctx: FetchContext,
  job: Job,
  state: DownloadState,
  total: number | undefined,
  offset: number,
): void {
  ctx.emit({
    type: 'start',
    id: job.id,
    url: job.displayUrl,
    path: state.offered ?? state.rel!,
    attempt: state.attempts,
    total,
    offset,
  });
}

/** The `retry` event: attempt `attempt` failed with `error`, the next one starts in `delayMs`. */
export function emitRetry(
  ctx: FetchContext,
  job: Job,
  attempt: number,
  delayMs: number,
  error: ErrorInfo,
): void {
  ctx.emit({ type: 'retry', id: job.id, url: job.displayUrl, attempt, delayMs, error });
}

/** Thrown inside a download when the file turns out to be there already: it ends as a `skipped` result. */
export class Skipped {
  constructor(
    readonly rel: string,
    readonly bytes: number,
    readonly digest: Digest | undefined,
  ) {}
}
