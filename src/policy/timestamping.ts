import fs from 'node:fs';
import type { Digest } from '../events.js';
import { keepEtag, readKeptEtag } from '../store/etag-store.js';
import type { Job } from '../jobs/job.js';
import { fileError } from '../file/file-error.js';
import type { DownloadState, FetchContext, Present } from './context.js';
import { checkPresent, expectedFor } from './digest.js';
import type { GetResponse } from './http.js';
import { header } from './headers.js';

// -N, --timestamping: a file already there is fetched again only when the server's copy changed.

/**
 * Whether a file already there is asked about (-N) rather than kept as it is. A known checksum decides without
 * the server: a file that matches it is the expected one, and one that does not is fetched anew either way.
 */
export function asksServer(job: Job, ctx: FetchContext): boolean {
  return ctx.opts.timestamping && expectedFor(job, ctx) === undefined;
}

/** What the conditional GET for the file `final` (named `rel`) is made from; undefined when it is not there. */
export function presentFile(ctx: FetchContext, rel: string, final: string): Present | undefined {
  let st: fs.Stats | undefined;
  try {
    st = fs.lstatSync(final, { throwIfNoEntry: false });
  } catch (err) {
    throw fileError(err, 'check', final);
  }
  if (!st?.isFile()) return undefined;
  return { size: st.size, mtimeMs: st.mtimeMs, kept: readKeptEtag(ctx.dirs, rel, st) };
}

/**
 * The condition of a request to `target` (a URL as shown): If-None-Match with the kept ETag when that server
 * gave it (RFC 9110 has it win over If-Modified-Since, so only one is sent), else If-Modified-Since with the
 * file's time, which --remote-time made the server's own Last-Modified.
 */
export function conditionOf(present: Present, target: string): Record<string, string> {
  if (present.kept !== undefined && present.kept.from === target)
    return { 'if-none-match': present.kept.etag };
  return { 'if-modified-since': new Date(Math.floor(present.mtimeMs / 1000) * 1000).toUTCString() };
}

/**
 * Thrown inside a download when the server's copy is the file already there (a 304): it ends as an `unchanged`
 * result. `transferred`: a body received before that was known (a name only the answer gave).
 */
export class Unchanged {
  constructor(
    readonly bytes: number,
    readonly digest: Digest | undefined,
    readonly transferred = 0,
  ) {}
}

/**
 * A 304: the file stays as it is (not opened for writing, its time untouched). A `.part` an earlier run left is
 * of another version than the one the server says is current: it goes. The file is hashed when digests were
 * asked for (--hash, --manifest), as a file skipped is.
 */
export async function notModified(
  job: Job,
  ctx: FetchContext,
  state: DownloadState,
  res: GetResponse,
): Promise<never> {
  await res.body.dump().catch(() => {});
  await state.part.drop();
  throw await unchanged(job, ctx, state.present!.size, state.part.site!.final, 0);
}

async function unchanged(
  job: Job,
  ctx: FetchContext,
  size: number,
  final: string,
  transferred: number,
): Promise<Unchanged> {
  const digest = await checkPresent(job, ctx, final);
  return new Unchanged(size, digest === 'mismatch' ? undefined : digest, transferred);
}

/** -N: what the answer says of its file, for the ETag kept once it is complete and for keepIfSame. */
export function noteAnswer(ctx: FetchContext, state: DownloadState, res: GetResponse): void {
  if (!ctx.opts.timestamping) return;
  const modified = Date.parse(header(res, 'last-modified') ?? '');
  state.answer = {
    etag: header(res, 'etag'),
    lastModifiedMs: Number.isFinite(modified) ? modified : undefined,
    length: state.part.total,
  };
}

/**
 * -N for a name only the answer gave (--content-disposition): no condition could go with the request, so the
 * answer is compared with the file already there as wget -N compares without a conditional GET: the ETag kept
 * for it from the same URL, else a Last-Modified no later than the file's time and the same length. The same:
 * `drop` discards the answer's bytes and the download ends as unchanged (the file untouched). Else it goes on,
 * and replaces the file.
 */
export async function keepIfSame(
  job: Job,
  ctx: FetchContext,
  state: DownloadState,
  o: { rel: string; final: string; transferred: number; drop: () => Promise<void> },
): Promise<void> {
  const a = state.answer;
  const present = presentFile(ctx, o.rel, o.final);
  if (a === undefined || present === undefined) return;
  const sameTag =
    a.etag !== undefined && present.kept?.etag === a.etag && present.kept.from === state.part.source;
  const notNewer =
    a.lastModifiedMs !== undefined && a.lastModifiedMs <= present.mtimeMs && a.length === present.size;
  if (!sameTag && !notNewer) return;
  await o.drop();
  throw await unchanged(job, ctx, present.size, o.final, o.transferred);
}

/** After a -N download: its ETag kept, for the URL that sent it (or an earlier one's record removed). */
export function keepEtagOf(ctx: FetchContext, state: DownloadState): void {
  const rel = state.rel;
  const site = state.part.site;
  if (!ctx.opts.timestamping || rel === undefined || site === undefined) return;
  const etag =
    state.answer?.etag ?? (state.part.validator?.startsWith('"') ? state.part.validator : undefined);
  const from = state.part.source;
  keepEtag(ctx.dirs, rel, site.final, etag === undefined ? undefined : { etag, from });
}
