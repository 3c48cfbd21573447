import type { Tap } from '../hash/stream-tap.js';
import { ChecksumMismatchError } from '../errors.js';
import type { Digest } from '../events.js';
import type { Job } from '../jobs/job.js';
import { relativeName } from '../jobs/naming.js';
import type { Expected } from '../verify/checksums.js';
import { fileError } from '../file/file-error.js';
import type { FetchContext } from './context.js';

/**
 * Digest of a file already under its final name, or 'mismatch' when it is not the expected file. Without an
 * expected digest it is hashed only when digests were asked for (--hash, --manifest: a rerun's manifest lists
 * the files that were already there too), else undefined.
 */
export async function checkPresent(
  job: Job,
  ctx: FetchContext,
  /** The file, as the download opens it (through its pinned folder). */
  file: string,
): Promise<Digest | undefined | 'mismatch'> {
  const want = expectedFor(job, ctx);
  const algorithm = want?.algorithm ?? ctx.opts.hash;
  if (algorithm === undefined) return undefined;
  let hex: string;
  try {
    hex = await ctx.hasher.hashFile(file, algorithm);
  } catch (err) {
    throw fileError(err, 'hash', file);
  }
  if (!want) return { algorithm, hex, verified: false };
  return hex === want.hex ? { algorithm, hex, verified: true } : 'mismatch';
}

/**
 * The expected digest of a job: aria2's per-URL checksum= first, then the --checksums entry for the name the
 * list gives it (its claimed name; with --content-disposition, the name its URL, out= and dir= would give).
 * Never the name a server offers: the server does not get to choose the checksum it is checked against.
 */
export function expectedFor(job: Job, ctx: FetchContext): Expected | undefined {
  if (job.entry.checksum) return job.entry.checksum;
  if (!ctx.expected) return undefined;
  return ctx.expected.get(job.rel ?? listName(job));
}

function listName(job: Job): string {
  try {
    return relativeName({ url: job.url, out: job.entry.out, dir: job.entry.dir });
  } catch {
    return '';
  }
}

export function algorithmFor(job: Job, ctx: FetchContext): string | undefined {
  return expectedFor(job, ctx)?.algorithm ?? ctx.opts.hash;
}

/** Digest of the complete .part (from the inline tap or the pool), checked against the expected one. */
export async function digestOf(
  job: Job,
  ctx: FetchContext,
  partPath: string,
  tap: Tap | undefined,
  init: { url: string; attempt: number },
): Promise<Digest | undefined> {
  const want = expectedFor(job, ctx);
  const algorithm = want?.algorithm ?? ctx.opts.hash;
  if (algorithm === undefined) return undefined;
  let hex: string;
  let fromTap: string | undefined;
  try {
    fromTap = await tap?.digest();
  } catch {
    // Its digest thread died: the file is hashed whole instead, below.
  }
  if (fromTap !== undefined) hex = fromTap;
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
