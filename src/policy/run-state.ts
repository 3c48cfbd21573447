import type { NormalizedOptions } from '../options.js';
import { KeepAlive } from '../transport/keep-alive.js';
import { createTransport } from '../transport/default.js';
import type { Transport } from '../transport/transport.js';
import type { HostTurns, RunClock } from './context.js';
import { HostGate } from './host-gate.js';
import { RateLimiter } from '../transport/rate.js';

/**
 * What every download of one event loop shares: the connection pool, the --limit-rate bucket, the --host-rate
 * gates, the keep-alive policy and the clock the waits run on. Built by runState() alone, for the async engine,
 * each worker thread and each shard of a queue worker, so the limits are divided the same way everywhere. The
 * rate bucket and the host gates are not divided: worker threads use the run's own (a file alone on one worker
 * still gets all of --limit-rate, a host's requests all of --host-rate).
 */
export interface RunState {
  transport: Transport;
  /** The transport was made here, so the run destroys it at its end (a given one belongs to its giver). */
  ownsTransport: boolean;
  limiter: RateLimiter | undefined;
  hostGate: HostTurns | undefined;
  keepAlive: KeepAlive;
  /** The clock the run waits on and its host gates read; real time when undefined. */
  clock: RunClock | undefined;
}

export interface RunStateInit {
  /** PEM text of --ca-certificate, for a transport made here. */
  ca?: string | undefined;
  /** A connection pool to use instead of a new one (a queue worker's, shared by its shards). */
  transport?: Transport | undefined;
  /**
   * Event loops the run is spread over (--mode threads: one per worker thread). Each keeps alive an equal share
   * of the run's connections. @default 1
   */
  loops?: number | undefined;
  /** The run's --limit-rate bucket (RateLimiter.shared()) when another thread made it: all loops take from it. */
  rateBucket?: SharedArrayBuffer | undefined;
  /** The run's --host-rate gates when another thread holds them: all loops take their turns there. */
  hostGate?: HostTurns | undefined;
  /** A clock of the caller's own (tests): see RunClock. */
  clock?: RunClock | undefined;
}

/**
 * The run's connection pool: the one given (init, else DownloadOptions.transport) or a new one. `opts` are the
 * options fitted to the open-file limit (withinOpenFiles), which cap the connections per host.
 */
export function runTransport(
  opts: NormalizedOptions,
  init: Pick<RunStateInit, 'ca' | 'transport'> = {},
): { transport: Transport; ownsTransport: boolean } {
  const given = init.transport ?? opts.transport;
  return { transport: given ?? createTransport(opts, init.ca), ownsTransport: given === undefined };
}

/** One event loop's share of the run state (see RunState). */
export function runState(opts: NormalizedOptions, init: RunStateInit = {}): RunState {
  const loops = init.loops ?? 1;
  const { transport, ownsTransport } = runTransport(opts, init);
  return {
    transport,
    ownsTransport,
    limiter:
      opts.limitRateBytes === undefined
        ? undefined
        : new RateLimiter(opts.limitRateBytes, undefined, init.rateBucket),
    hostGate:
      opts.hostRate === undefined
        ? undefined
        : (init.hostGate ?? new HostGate(opts.hostRate, init.clock?.now, opts.retry.maxRetryAfterMs)),
    // 4 x -j origins kept alive in all, and the open-file limit's connections, split over the loops.
    keepAlive: new KeepAlive(
      transport,
      Math.max(1, Math.floor((4 * opts.concurrency) / loops)),
      Math.floor(opts.maxConnections / loops),
    ),
    clock: init.clock,
  };
}
