import type { ResponseBody } from '../transport/response-body.js';
import { transportError } from '../transport/failure.js';
import type { GetResponse } from './http.js';

/** What a response's headers say about the body: its length, range and validator. */

export function header(res: GetResponse, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function lengthOf(res: GetResponse): number | undefined {
  const v = header(res, 'content-length');
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

/** `bytes a-b/total` → numbers; undefined when absent or malformed. */
export function contentRange(
  res: GetResponse,
): { start: number; end: number; total: number | undefined } | undefined {
  const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header(res, 'content-range')?.trim() ?? '');
  if (!m) return undefined;
  return { start: Number(m[1]), end: Number(m[2]), total: m[3] === '*' ? undefined : Number(m[3]) };
}

export function validatorOf(res: GetResponse): string | undefined {
  const etag = header(res, 'etag');
  if (etag && !etag.startsWith('W/')) return etag;
  return header(res, 'last-modified');
}

/** `Accept-Ranges: bytes`: the server says it answers byte ranges (needed to split a file, -x). */
export function acceptsRanges(res: GetResponse): boolean {
  return (header(res, 'accept-ranges') ?? '')
    .toLowerCase()
    .split(',')
    .some((v) => v.trim() === 'bytes');
}

/**
 * Why a body that did not end normally failed: its own error, or (closed without one) a socket error, so
 * the attempt is classified as a network failure and retried.
 */
export function bodyFailure(body: ResponseBody): Error {
  return body.errored ?? transportError('closed', 'the response closed early');
}
