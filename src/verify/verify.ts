import path from 'node:path';
import type { Readable } from 'node:stream';
import { hashAlgorithm, unknownHashText } from '../hash/algorithms.js';
import { mapOrdered } from '../hash/ordered.js';
import { createHasher, type HashPoolKind } from '../hash/hasher.js';
import { DEFAULT_WORKERS, DEFAULTS } from '../options.js';
import { UsageError } from '../errors.js';
import { type ChecksumEntry, normalizeSumsName, openChecksumFile, parseChecksumLine } from './checksums.js';
import { int } from '../option-values.js';
import { DOWNLOAD_RANGES } from '../download-options.js';

/**
 * The file matched, did not, or could not be read: the words of the summary's counts (`dlpool verify` prints them
 * as `sha256sum -c` does: OK, FAILED, FAILED open or read).
 */
export type VerifyStatus = 'ok' | 'failed' | 'unreadable';

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
  /** The checksum file (GNU coreutils or BSD tag format); `-` reads `stdin`. */
  sums: string;
  /** Read for `sums: '-'`, as `sha256sum -c -` reads standard input. */
  stdin?: Readable;
  /**
   * The algorithm of untagged lines (`HEX  NAME`) whose digests are as long as its own, as `cksum -a ALGO -c`
   * reads them: sha3-256 and sha256 digests are both 64 hex digits. Tagged lines name their own.
   * @default by the digest's length, as coreutils' tools read them (md5, sha1, sha224, sha256, sha384, sha512)
   */
  algorithm?: string;
  /** Directory the names are relative to. @default '.' */
  dir?: string;
  /** @default 'inline' (DEFAULTS.hashPool) */
  hashPool?: HashPoolKind;
  /** @default half the cores */
  workers?: number;
  signal?: AbortSignal;
  /** Called once per entry, in checksum-file order (as `sha256sum -c` prints). */
  onResult?: (r: VerifyResult) => void;
  /**
   * Keep every result in the summary. Off, `results` stays empty and memory stays flat however long the
   * checksum file is (results still reach `onResult`).
   * @default true
   */
  keepResults?: boolean;
}

export interface VerifySummary {
  /** Every result, in file order (empty with `keepResults: false`). */
  results: VerifyResult[];
  ok: number;
  failed: number;
  unreadable: number;
  /** Lines of the checksum file that could not be parsed, as `FILE:LINE: reason`. */
  badLines: string[];
  elapsedMs: number;
}

/** Bad lines of a checksum file kept for the summary; the rest are counted. */
const MAX_BAD_LINES = 1000;

/** `dlpool verify`: checks files on disk against a checksum file, hashing them in parallel in the pool. */
export async function verify(options: VerifyOptions): Promise<VerifySummary> {
  const started = performance.now();
  const workers = int('workers', options.workers, DEFAULT_WORKERS, DOWNLOAD_RANGES.workers);
  const untagged = options.algorithm === undefined ? undefined : hashAlgorithm(options.algorithm);
  if (options.algorithm !== undefined && untagged === undefined) {
    throw new UsageError(`algorithm: ${unknownHashText(options.algorithm)}`);
  }
  const dir = path.resolve(options.dir ?? DEFAULTS.dir);
  const lines = await openChecksumFile(options.sums, options.stdin);
  const keep = options.keepResults ?? true;
  const summary: VerifySummary = { results: [], ok: 0, failed: 0, unreadable: 0, badLines: [], elapsedMs: 0 };
  const count = (r: VerifyResult) => {
    if (r.status === 'ok') summary.ok++;
    else if (r.status === 'failed') summary.failed++;
    else summary.unreadable++;
    if (keep) summary.results.push(r);
    options.onResult?.(r);
  };
  // Bad lines are reported after the results, the first MAX_BAD_LINES of them (memory stays flat).
  let bad = 0;
  async function* entries(): AsyncGenerator<ChecksumEntry> {
    let n = 0;
    for await (const batch of lines) {
      for (const raw of batch) {
        const item = parseChecksumLine(raw, ++n, untagged);
        if (item === undefined) continue;
        if ('name' in item) yield item;
        else if (++bad <= MAX_BAD_LINES)
          summary.badLines.push(`${options.sums}:${item.line}: ${item.message}`);
      }
    }
  }
  const hasher = createHasher(options.hashPool ?? DEFAULTS.hashPool, workers);
  try {
    // Enough files in flight to keep every worker busy, few enough to keep memory flat.
    await mapOrdered(
      entries(),
      workers * 2,
      async (e): Promise<VerifyResult> => {
        const base = { name: e.name, line: e.line, algorithm: e.algorithm, expected: e.hex };
        if (options.signal?.aborted)
          return { ...base, status: 'unreadable', actual: undefined, error: 'interrupted' };
        try {
          const actual = await hasher.hashFile(path.resolve(dir, normalizeSumsName(e.name)), e.algorithm);
          return { ...base, status: actual === e.hex ? 'ok' : 'failed', actual, error: undefined };
        } catch (err) {
          const code = err && typeof err === 'object' && 'code' in err ? String(err.code) : String(err);
          return { ...base, status: 'unreadable', actual: undefined, error: code };
        }
      },
      count,
    );
  } finally {
    await hasher.close();
    await lines.return();
  }
  if (bad > MAX_BAD_LINES) {
    summary.badLines.push(`${options.sums}: ${bad - MAX_BAD_LINES} more lines that are not checksum lines`);
  }
  summary.elapsedMs = Math.round(performance.now() - started);
  return summary;
}
