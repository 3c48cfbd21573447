import type { FetchContext } from './context.js';
import type { GetResponse } from './http.js';
import { header } from './headers.js';

/**
 * The modification time a downloaded file gets (--remote-time, on by default, as wget does): the answer's
 * Last-Modified in milliseconds, or undefined (local time) when the option is off or the header is missing or
 * not a date. `-N` compares against it on the next run.
 */
export function remoteTimeOf(res: GetResponse, ctx: FetchContext): number | undefined {
  if (!ctx.opts.remoteTime) return undefined;
  const text = header(res, 'last-modified');
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  // Before 1970 or past what a file time holds: not a time a server meant.
  return Number.isFinite(ms) && ms >= 0 && ms <= MAX_FILE_TIME_MS ? ms : undefined;
}

/** 9999-12-31T23:59:59Z: the last second of four-digit years (an HTTP date has four). */
const MAX_FILE_TIME_MS = 253_402_300_799_000;
