import type { Readable } from 'node:stream';
import { createDigest, DEFAULT_HASH, hashAlgorithm, unknownHashText } from '../hash/algorithms.js';
import { UsageError } from '../errors.js';
import { DEFAULT_WORKERS, DEFAULTS } from '../options.js';
import { createHasher, type HashPoolKind } from '../hash/hasher.js';
import { mapOrdered } from '../hash/ordered.js';
import { int } from '../option-values.js';
import { DOWNLOAD_RANGES } from '../download-options.js';

export interface HashFilesOptions {
  /** @default 'sha256' */
  algorithm?: string;
  /** @default 'inline' (DEFAULTS.hashPool) */
  hashPool?: HashPoolKind;
  /** @default half the cores */
  workers?: number;
  /**
   * Stream read for the file `-`, as sha256sum reads standard input. The library reads no stream of its own:
   * without it, `-` is ERR_DL_USAGE (the CLI passes process.stdin).
   */
  stdin?: Readable;
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
  const given = (options.algorithm ?? DEFAULT_HASH).toLowerCase();
  const algorithm = hashAlgorithm(given)?.name;
  if (algorithm === undefined) {
    throw new UsageError(`algorithm: ${unknownHashText(given)}`);
  }
  const workers = int('workers', options.workers, DEFAULT_WORKERS, DOWNLOAD_RANGES.workers);
  if (options.stdin === undefined && files.includes(STDIN))
    throw new UsageError("files: '-' reads stdin: give the stream as options.stdin");
  const stdin = options.stdin === undefined ? undefined : new StdinDigests(options.stdin);
  const hasher = createHasher(options.hashPool ?? DEFAULTS.hashPool, workers);
  const results: HashFileResult[] = [];
  try {
    await mapOrdered(
      files,
      workers * 2,
      async (file): Promise<HashFileResult> => {
        try {
          const hex =
            file === STDIN && stdin ? await stdin.next(algorithm) : await hasher.hashFile(file, algorithm);
          return { file, algorithm, hex, error: undefined };
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

/** The file name that means standard input (`./-` is a file named `-`). */
const STDIN = '-';

/**
 * Digests of standard input, read on this thread (a stream cannot be handed to a pool by path). Each `-` reads
 * after the one before it: the first gets the whole input, a later one what is left, which is nothing once
 * the input ended (sha256sum prints the empty digest for a second `-` from a pipe).
 */
class StdinDigests {
  private turn: Promise<unknown> = Promise.resolve();
  private ended = false;
  constructor(private readonly stream: Readable) {}

  next(algorithm: string): Promise<string> {
    const mine = this.turn.then(() => this.read(algorithm));
    this.turn = mine.catch(() => {});
    return mine;
  }

  private async read(algorithm: string): Promise<string> {
    const hash = createDigest(algorithm);
    if (!this.ended) {
      for await (const chunk of this.stream) hash.update(chunk as Buffer);
      this.ended = true;
    }
    return hash.digest('hex');
  }
}
