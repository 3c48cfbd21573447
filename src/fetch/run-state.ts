import type { Dispatcher } from 'undici';
import type { NormalizedOptions } from '../options.js';
import { createDispatcher, KeepAlive } from './agent.js';
import type { RunClock } from './context.js';
import { HostGate } from './host-gate.js';
import { RateLimiter } from './rate.js';

/**
 * What every download of one event loop shares: the connection pool, the --limit-rate bucket, the --host-rate
 * gates, the keep-alive policy and the clock the waits run on. Built by runState() alone, for the async engine, each worker thread and each
 * shard of a queue worker, so the limits are divided the same way everywhere. The rate bucket is not divided:
 * worker threads share the run's one (a file alone on one worker still gets all of --limit-rate).
 */
export interface RunState {
  dispatcher: Dispatcher;
  /** The dispatcher was made here, so the run destroys it at its end (a given one belongs to its giver). */
  ownsDispatcher: boolean;
  limiter: RateLimiter | undefined;
  hostGate: HostGate | undefined;
  keepAlive: KeepAlive;
  /** The clock the run waits on and its host gates read; real time when undefined. */
  clock: RunClock | undefined;
}

export interface RunStateInit {
  /** PEM text of --ca-certificate, for a dispatcher made here. */
  ca?: string | undefined;
  /** A connection pool to use instead of a new one (a queue worker's, shared by its shards). */
  dispatcher?: Dispatcher | undefined;
  /**
   * Event loops the run is spread over (--mode threads: one per worker thread). Each holds an equal share of
   * the run's limits: its connections kept alive and its --host-rate. @default 1
   */
  loops?: number | undefined;
  /** The run's --limit-rate bucket (RateLimiter.shared()) when another thread made it: all loops take from it. */
  rateBucket?: SharedArrayBuffer | undefined;
  /** A clock of the caller's own (tests): see RunClock. */
  clock?: RunClock | undefined;
}

/**
 * The run's connection pool: the one given (init, else DownloadOptions.dispatcher) or a new one. `opts` are the
 * options fitted to the open-file limit (withinOpenFiles), which cap the connections per host.
 */
export function runDispatcher(
  opts: NormalizedOptions,
  init: Pick<RunStateInit, 'ca' | 'dispatcher'> = {},
): { dispatcher: Dispatcher; ownsDispatcher: boolean } {
  const given = init.dispatcher ?? opts.dispatcher;
  return { dispatcher: given ?? createDispatcher(opts, init.ca), ownsDispatcher: given === undefined };
}

/** One event loop's share of the run state (see RunState). */
export function runState(opts: NormalizedOptions, init: RunStateInit = {}): RunState {
  const loops = init.loops ?? 1;
  const { dispatcher, ownsDispatcher } = runDispatcher(opts, init);
  return {
    dispatcher,
    ownsDispatcher,
    limiter:
      opts.limitRateBytes === undefined
        ? undefined
        : new RateLimiter(opts.limitRateBytes, undefined, init.rateBucket),
    // A host's requests are spread over the loops: each keeps its share of the rate (and its own slow-downs).
    hostGate:
      opts.hostRate === undefined
        ? undefined
        : new HostGate(opts.hostRate / loops, init.clock?.now, opts.retry.maxRetryAfterMs),
    // 4 x -j origins kept alive in all, and the open-file limit's connections, split over the loops.
    keepAlive: new KeepAlive(
      dispatcher,
      Math.max(1, Math.floor((4 * opts.concurrency) / loops)),
      Math.floor(opts.maxConnections / loops),
    ),
    clock: init.clock,
  };
}
