import pLimit, { type LimitFunction } from 'p-limit';
import type { FileResult } from '../events.js';
import { type FetchContext, fetchFile } from '../fetch/fetch-file.js';
import type { JobOrResult } from '../jobs/job.js';
import type { Engine } from './engine.js';

/**
 * Every download on one event loop: -j slots in total, --per-host slots per host. The job stream is pulled
 * only while fewer than a small multiple of -j jobs are waiting, so a list of a million URLs is never held
 * in memory. A job waits for its host's slot before it takes a global one, so a busy host does not block
 * the others.
 */
export class AsyncEngine implements Engine {
  readonly name = 'async';

  async run(
    jobs: AsyncIterable<JobOrResult>,
    ctx: FetchContext,
    onResult: (r: FileResult) => void,
  ): Promise<void> {
    const { concurrency, perHost } = ctx.opts;
    const global = pLimit(concurrency);
    const hosts = new Map<string, LimitFunction>();
    const maxPending = Math.max(64, concurrency * 4);
    let pending = 0;
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
      if (ctx.signal.aborted) break;
      const { job } = item;
      let host = hosts.get(job.host);
      if (!host) {
        host = perHost >= concurrency ? global : pLimit(perHost);
        hosts.set(job.host, host);
      }
      const limitHost = host;
      pending++;
      const task =
        limitHost === global
          ? global(() => fetchFile(job, ctx))
          : limitHost(() => global(() => fetchFile(job, ctx)));
      task
        .then(onResult, (err: unknown) => {
          // fetchFile never throws; this is a bug guard so a result is never lost silently.
          throw err;
        })
        .finally(done);
      while (pending >= maxPending) await new Promise<void>((r) => (wake = r));
    }
    while (pending > 0) await new Promise<void>((r) => (wake = r));
  }
}
