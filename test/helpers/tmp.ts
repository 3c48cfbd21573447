import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { DownloadEvent } from '../../src/events.js';

/**
 * A fresh directory per test (never reused: see the ext4 note in docs/benchmarks.md), under the run's own folder
 * (temp-root.ts), which goes when the run ends.
 */
export async function tmpDir(prefix = 'dlpool-test-'): Promise<string> {
  return fs.mkdtemp(path.join(process.env['DLPOOL_TEST_TMP'] ?? os.tmpdir(), prefix));
}

/** Fast retries for tests: real backoff logic, millisecond delays. */
export const FAST_RETRY = { baseDelayMs: 10, maxDelayMs: 50 };

export function collect(): { events: DownloadEvent[]; onEvent: (e: DownloadEvent) => void } {
  const events: DownloadEvent[] = [];
  return { events, onEvent: (e) => events.push(e) };
}

/** Every file below a directory, as sorted relative paths (the bench's own lister). */
export { listFiles } from '../../src/bench/verify-dir.js';

/** Both engines: the download integration tests run for each (issue 4). */
export const MODES = ['async', 'threads'] as const;

/** Options selecting an engine; threads mode gets 3 workers so limits are tested across several. */
export function engine(mode: (typeof MODES)[number]): { mode: (typeof MODES)[number]; workers?: number } {
  return mode === 'threads' ? { mode, workers: 3 } : { mode };
}
