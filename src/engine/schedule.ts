import pLimit, { type LimitFunction } from 'p-limit';
import type { FileResult } from '../events.js';
import type { Job, JobOrResult } from '../jobs/job.js';

export interface Limits {
  /** Downloads at once, in total. */
  concurrency: number;
  /** Downloads at once per host:port (at most `concurrency`). */
  perHost: number;
}

/**
 * The one scheduler both engines share: -j slots in total, --per-host slots per host, the job stream pulled
 * only while fewer than a small multiple of -j jobs wait (a list of a million URLs is never held in memory).
 * A job waits for its host's slot before it takes a global one, so a busy host does not block the others.
 * `runJob` is where engines differ: the async engine downloads on this event loop, the threads engine hands
 * the job to a worker. A slot is held until its result is back, so -j bounds downloads across all workers.
 */
export async function schedule(
  jobs: AsyncIterable<JobOrResult>,
  limits: Limits,
  signal: AbortSignal,
  runJob: (job: Job) => Promise<FileResult>,
  onResult: (r: FileResult) => void,
): Promise<void> {
  const { concurrency, perHost } = limits;
  const global = pLimit(concurrency);
  const hosts = new Map<string, LimitFunction>();
  const maxPending = Math.max(64, concurrency * 4);
  let pending = 0;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const done = () => {
    pending--;
    wake?.();
  };
  for await (const item of jobs) {
    if ('result' in item) {
      onResult(item.result);
      continue;
    }
    if (signal.aborted || failure !== undefined) break;
    const { job } = item;
    let limitHost: LimitFunction | undefined;
    if (perHost < concurrency) {
      limitHost = hosts.get(job.host);
      if (!limitHost) {
        limitHost = pLimit(perHost);
        hosts.set(job.host, limitHost);
      }
    }
    pending++;
    const task = limitHost ? limitHost(() => global(() => runJob(job))) : global(() => runJob(job));
    const host = limitHost;
    task
      .then(onResult, (err: unknown) => {
        // runJob never rejects for a single download; a rejection is the engine itself failing.
        failure ??= err;
      })
      .finally(() => {
        // A host with nothing running or queued is forgotten: a list of a million hosts keeps no map of them.
        if (host && host.activeCount === 0 && host.pendingCount === 0 && hosts.get(job.host) === host) {
          hosts.delete(job.host);
        }
        done();
      });
    while (pending >= maxPending) await new Promise<void>((r) => (wake = r));
  }
  while (pending > 0) await new Promise<void>((r) => (wake = r));
  if (failure !== undefined) throw failure;
}
