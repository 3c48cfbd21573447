import path from 'node:path';
import { filenameFromContentDisposition } from '../jobs/content-disposition.js';
import type { Job } from '../jobs/job.js';
import { relativeName, sanitizeName, sanitizeSubdir } from '../jobs/naming.js';
import type { FetchContext } from './context.js';
import type { GetResponse } from './http.js';

/**
 * The name a --content-disposition answer asks for (not yet claimed): the server's offer (its last path
 * component, sanitised, inside the entry's dir=), else the URL's name.
 */
export function offeredName(job: Job, res: GetResponse): string {
  const offered = filenameFromContentDisposition(res.headers['content-disposition']);
  const { dir } = job.entry;
  if (offered === undefined) return relativeName({ url: job.url, dir });
  // Only the last component of what the server offers is used: a server never picks the folder.
  const base = sanitizeName(offered.split(/[/\\]/).pop() ?? '');
  const sub = dir ? sanitizeSubdir(dir) : '';
  return sub ? path.posix.join(sub, base) : base;
}

/**
 * Claims the name of a --content-disposition download when its answer arrives, if it is its turn (names
 * offered by servers go in list order: see OfferedNames). Not its turn: a temporary name in the same folder,
 * `.dlpool-offered-ID`, and `state.offered` keeps the offer until the download is complete (nameInTurn).
 */
export async function nameFromResponse(
  job: Job,
  ctx: FetchContext,
  res: GetResponse,
): Promise<{ rel: string; offered?: string }> {
  const offered = offeredName(job, res);
  const name = await ctx.names.claimOffered(job.id, offered, false);
  if (name !== undefined) return { rel: name };
  const slash = offered.lastIndexOf('/');
  return { rel: await ctx.names.claim(`${offered.slice(0, slash + 1)}.dlpool-offered-${job.id}`), offered };
}
