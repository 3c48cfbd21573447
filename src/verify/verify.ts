import path from 'node:path';
import { mapOrdered } from '../hash/ordered.js';
import { createHasher, type HashPoolKind } from '../hash/hasher.js';
import { DEFAULT_WORKERS, DEFAULTS } from '../options.js';
import { UsageError } from '../errors.js';
import { normalizeSumsName, readChecksumFile } from './checksums.js';

export type VerifyStatus = 'OK' | 'FAILED' | 'FAILED open or read';

export interface VerifyResult {
  /** The name as written in the checksum file. */
  name: string;
  line: number;
  status: VerifyStatus;
  algorithm: string;
  expected: string;
  actual: string | undefined;
  /** Why the file could not be read (ENOENT, EACCES, ...). */
  error: string | undefined;
}

export interface VerifyOptions {
  /** The checksum file (GNU coreutils or BSD tag format). */
  sums: string;
  /** Directory the names are relative to. @default '.' */
  dir?: string;
  /** @default 'inline' (DEFAULTS.hashPool) */
  hashPool?: HashPoolKind;
  /** @default half the cores */
  workers?: number;
  signal?: AbortSignal;
  /** Called once per entry, in checksum-file order (as `sha256sum -c` prints). */
  onResult?: (r: VerifyResult) => void;
}

export interface VerifySummary {
  results: VerifyResult[];
  ok: number;
  failed: number;
  unreadable: number;
  /** Lines of the checksum file that could not be parsed, as `FILE:LINE: reason`. */
  badLines: string[];
  elapsedMs: number;
}

/** `dlpool verify`: checks files on disk against a checksum file, hashing them in parallel in the pool. */
export async function verify(options: VerifyOptions): Promise<VerifySummary> {
  const started = performance.now();
  const workers = options.workers ?? DEFAULT_WORKERS;
  if (!Number.isInteger(workers) || workers < 1)
    throw new UsageError(`workers: expected a whole number >= 1`);
  const dir = path.resolve(options.dir ?? '.');
  const { entries, problems } = await readChecksumFile(options.sums);
  const hasher = createHasher(options.hashPool ?? DEFAULTS.hashPool, workers);
  let done: VerifyResult[];
  try {
    // Enough files in flight to keep every worker busy, few enough to keep memory flat.
    done = await mapOrdered(
      entries,
      workers * 2,
      async (e): Promise<VerifyResult> => {
        const base = { name: e.name, line: e.line, algorithm: e.algorithm, expected: e.hex };
        if (options.signal?.aborted)
          return { ...base, status: 'FAILED open or read', actual: undefined, error: 'interrupted' };
        try {
          const actual = await hasher.hashFile(path.resolve(dir, normalizeSumsName(e.name)), e.algorithm);
          return { ...base, status: actual === e.hex ? 'OK' : 'FAILED', actual, error: undefined };
        } catch (err) {
          const code = err && typeof err === 'object' && 'code' in err ? String(err.code) : String(err);
          return { ...base, status: 'FAILED open or read', actual: undefined, error: code };
        }
      },
      (r) => options.onResult?.(r),
    );
  } finally {
    await hasher.close();
  }
  return {
    results: done,
    ok: done.filter((r) => r.status === 'OK').length,
    failed: done.filter((r) => r.status === 'FAILED').length,
    unreadable: done.filter((r) => r.status === 'FAILED open or read').length,
    badLines: problems.map((p) => `${options.sums}:${p.line}: ${p.message}`),
    elapsedMs: Math.round(performance.now() - started),
  };
}
