import type { Job } from '../jobs/job.js';
import { type Done, type DownloadState, type FetchContext, sayOnce } from '../policy/context.js';
import { algorithmFor } from '../policy/digest.js';
import { acceptsRanges } from '../policy/headers.js';
import type { GetResponse } from '../policy/http.js';
import { urlOfAttempt } from '../policy/request.js';
import { segmentedBody, SMALL_BODY_BYTES, smallBody, streamBody } from './whole-file.js';

/** The body's way to the `.part`, chosen once per answer: in ranges (-x), whole in memory, or streamed. */
export async function receive(
  job: Job,
  ctx: FetchContext,
  state: DownloadState,
  res: GetResponse,
  o: { offset: number; total: number | undefined; init: { url: string; attempt: number } },
): Promise<Done> {
  const { opts } = ctx;
  const { offset, total, init } = o;
  // A name offered by the server is written under a temporary name another run may use too: always locked.
  if (state.offered !== undefined) lockFor(state, res);
  if (
    offset === 0 &&
    total !== undefined &&
    opts.split > 1 &&
    !state.noSplit &&
    total > opts.minSplitSizeBytes
  ) {
    if (!acceptsRanges(res)) {
      sayOnce(
        ctx,
        `no-ranges ${job.host}`,
        `${job.host} does not accept byte ranges: -x ${opts.split} falls back to one connection per file`,
      );
    } else {
      lockFor(state, res);
      const extra = (await ctx.slots?.borrow(job, opts.split - 1)) ?? 0;
      // No free -j slot now: one connection, the plain way (the body is already coming).
      if (extra > 0) return segmentedBody(job, ctx, state, res, extra, urlOfAttempt(job, state.attempts));
    }
  }
  if (offset === 0 && total !== undefined && total <= SMALL_BODY_BYTES) {
    return smallBody(job, ctx, state, res, total, init);
  }
  lockFor(state, res);
  const algorithm = algorithmFor(job, ctx);
  // A tap sees every byte only when the body starts at zero; a resumed file is hashed whole later.
  const tap = algorithm !== undefined && offset === 0 ? ctx.hasher.tap(algorithm) : undefined;
  try {
    return await streamBody(job, ctx, state, res, {
      offset,
      total,
      limit: opts.maxSizeBytes,
      rel: state.offered ?? state.rel!,
      tap,
      init,
    });
  } catch (err) {
    tap?.release();
    throw err;
  }
}

/**
 * Makes the `.part` this download's before its body goes in (an answer from 0 takes over nothing of an earlier
 * run; a resumed one holds it already). Another run holding it ends this answer.
 */
function lockFor(state: DownloadState, res: GetResponse): void {
  try {
    state.part.lock();
  } catch (err) {
    res.body.destroy();
    throw err;
  }
}
