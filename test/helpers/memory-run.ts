import type { DownloadOptions } from '../../src/download-options.js';
import { download } from '../../src/download.js';
import type { DownloadSummary } from '../../src/report/summary.js';
import type { ListEntry } from '../../src/sources/types.js';
import { virtualClock } from './clock.js';
import type { MemoryTransport } from './memory-transport.js';
import { collect, tmpDir } from './tmp.js';

/** download() of `entries` (async mode) through `transport`, on a virtual clock: the policy without sockets. */
export async function runOn(
  transport: MemoryTransport,
  entries: (string | ListEntry)[],
  options: Partial<DownloadOptions> = {},
): Promise<{
  dir: string;
  summary: DownloadSummary;
  slept: number[];
  events: ReturnType<typeof collect>['events'];
}> {
  const dir = await tmpDir();
  const { events, onEvent } = collect();
  const clock = virtualClock();
  const summary = await download(
    {
      mode: 'async',
      entries,
      dir,
      transport,
      onEvent,
      retry: { baseDelayMs: 10, maxDelayMs: 50 },
      ...options,
    },
    undefined,
    clock,
  );
  return { dir, summary, slept: clock.slept, events };
}
