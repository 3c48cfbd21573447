import path from 'node:path';
import { filenameFromContentDisposition } from '../jobs/content-disposition.js';
import type { Job } from '../jobs/job.js';
import { relativeName, sanitizeName, sanitizeSubdir } from '../jobs/naming.js';
import { commitPart, discardPart, existingSize } from '../file/part-ops.js';
import { type DownloadState, type FetchContext, Skipped } from '../policy/context.js';
import { checkPresent } from '../policy/digest.js';
import type { GetResponse } from '../policy/http.js';
import { asksServer, keepIfSame, Unchanged } from '../policy/timestamping.js';

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

/**
 * A --content-disposition download that completed under a temporary name (its answer came before its turn)
 * waits for its turn with its -j slot lent out (the earlier downloads it waits for may need one), claims the
 * offered name and takes it. A file already there under that name is kept as for any download (when it is
 * provably the expected one, the new copy goes and the result says skipped).
 */
export async function nameInTurn(
  job: Job,
  ctx: FetchContext,
  state: DownloadState,
  /** Bytes of the body received under the temporary name. */
  received: number,
): Promise<void> {
  const { part } = state;
  const temp = part.site!.final;
  const parks = ctx.slots?.park !== undefined && ctx.slots.unpark !== undefined;
  if (parks) ctx.slots!.park!(job);
  try {
    const name = (await ctx.names.claimOffered(job.id, state.offered!, true))!;
    // From here on the download has its own name (a retry fetches it again under that name).
    state.offered = undefined;
    state.rel = name;
    // (The temporary name is in the same folder, which stays pinned.)
    part.moveTo(ctx.dirs.site(name, true)!);
    const final = part.site!.final;
    if (!ctx.opts.overwrite && ctx.dirs.mayExist(name)) {
      const size = existingSize(final);
      const drop = () => discardPart(temp);
      // Both end the download (the caller's loop turns them into its result), so it may end parked.
      if (size !== undefined && asksServer(job, ctx)) {
        await keepIfSame(job, ctx, state, { rel: name, final, transferred: received, drop });
      } else {
        const present = size === undefined ? 'mismatch' : await checkPresent(job, ctx, final);
        if (size !== undefined && present !== 'mismatch') {
          await drop();
          throw new Skipped(name, size, present);
        }
      }
    }
    await commitPart(temp, final);
  } catch (err) {
    if (err instanceof Skipped || err instanceof Unchanged) throw err;
    await discardPart(temp);
    // A failure here may be retried: the next attempt holds a slot again.
    if (parks) await ctx.slots!.unpark!(job);
    throw err;
  }
}
