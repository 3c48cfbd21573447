import { isUsableHash, someHashes } from './algorithms.js';
import { UsageError } from '../errors.js';
import { DEFAULT_WORKERS, DEFAULTS } from '../options.js';
import { createHasher, type HashPoolKind } from './hasher.js';
import { mapOrdered } from './ordered.js';

export interface HashFilesOptions {
  /** @default 'sha256' */
  algorithm?: string;
  /** @default 'inline' (DEFAULTS.hashPool) */
  hashPool?: HashPoolKind;
  /** @default half the cores */
  workers?: number;
  /** Called once per file, in argument order. */
  onResult?: (r: HashFileResult) => void;
}

export interface HashFileResult {
  file: string;
  algorithm: string;
  hex: string | undefined;
  /** Why the file could not be read (ENOENT, EISDIR, ...). */
  error: string | undefined;
}

/** `dlpool hash`: digests of files, computed in parallel, reported in argument order. */
export async function hashFiles(
  files: readonly string[],
  options: HashFilesOptions = {},
): Promise<HashFileResult[]> {
  const algorithm = (options.algorithm ?? 'sha256').toLowerCase();
  if (!isUsableHash(algorithm)) {
    throw new UsageError(`algo: unknown or unavailable algorithm '${algorithm}' (try ${someHashes()}, ...)`);
  }
  const workers = options.workers ?? DEFAULT_WORKERS;
  if (!Number.isInteger(workers) || workers < 1)
    throw new UsageError('workers: expected a whole number >= 1');
  const hasher = createHasher(options.hashPool ?? DEFAULTS.hashPool, workers);
  const results: HashFileResult[] = [];
  try {
    await mapOrdered(
      files,
      workers * 2,
      async (file): Promise<HashFileResult> => {
        try {
          return { file, algorithm, hex: await hasher.hashFile(file, algorithm), error: undefined };
        } catch (err) {
          const code = err && typeof err === 'object' && 'code' in err ? String(err.code) : String(err);
          return { file, algorithm, hex: undefined, error: code };
        }
      },
      (r) => {
        results.push(r);
        options.onResult?.(r);
      },
    );
    return results;
  } finally {
    await hasher.close();
  }
}
