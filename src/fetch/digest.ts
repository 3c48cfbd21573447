import type { Hash } from 'node:crypto';
import { ChecksumMismatchError } from '../errors.js';
import type { Digest } from '../events.js';
import type { Job } from '../jobs/job.js';
import type { Expected } from '../verify/checksums.js';
import { fileError } from './classify.js';
import type { FetchContext, Progress } from './context.js';

/** Digests of downloads and of files already present, checked against the expected checksums. */
/** Digest of a file already under its final name, or 'mismatch' when it is not the expected file. */
export async function checkPresent(
  job: Job,
  ctx: FetchContext,
  rel: string,
  /** The file, as the download opens it (through its pinned folder). */
  file: string,
): Promise<Digest | undefined | 'mismatch'> {
  const want = expectedFor(job, ctx, rel);
  if (!want) return undefined;
  let hex: string;
  try {
    hex = await ctx.hasher.hashFile(file, want.algorithm);
  } catch (err) {
    throw fileError(err, 'hash', file);
  }
  return hex === want.hex ? { algorithm: want.algorithm, hex, verified: true } : 'mismatch';
}

/** The expected digest of a job: aria2's per-URL checksum= first, then the --checksums file. */
export function expectedFor(job: Job, ctx: FetchContext, rel: string): Expected | undefined {
  return job.entry.checksum ?? ctx.expected?.get(rel);
}

export function algorithmFor(job: Job, ctx: FetchContext, rel: string): string | undefined {
  return expectedFor(job, ctx, rel)?.algorithm ?? ctx.opts.hash;
}

/** Digest of the complete .part (from the inline tap or the pool), checked against the expected one. */
export async function digestOf(
  job: Job,
  ctx: FetchContext,
  state: Progress,
  partPath: string,
  tap: Hash | undefined,
  init: { url: string; attempt: number },
): Promise<Digest | undefined> {
  const rel = state.rel!;
  const want = expectedFor(job, ctx, rel);
  const algorithm = want?.algorithm ?? ctx.opts.hash;
  if (algorithm === undefined) return undefined;
  let hex: string;
  if (tap) hex = tap.digest('hex');
  else {
    try {
      hex = await ctx.hasher.hashFile(partPath, algorithm);
    } catch (err) {
      throw fileError(err, 'hash', partPath);
    }
  }
  if (want && hex !== want.hex) throw new ChecksumMismatchError(algorithm, want.hex, hex, init);
  return { algorithm, hex, verified: want !== undefined };
}
