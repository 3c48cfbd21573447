import fs from 'node:fs';
import { UnsafeNameError } from '../errors.js';
import { openRegularSync, READ_OWN, WRITE_NEW } from './regular-open.js';

/**
 * What a later run needs to resume a `.part` file safely, kept beside it as `NAME.part.meta`: the URL it came
 * from and the validator (strong ETag or Last-Modified) and length of the version it holds. A resumed request
 * sends `If-Range` with that validator, so a changed file restarts instead of being spliced onto old bytes.
 * Without a validator nothing is kept, and a later run starts over.
 */
export interface ResumeState {
  url: string;
  /**
   * The URL (a mirror's) whose answer the bytes and the validator came from, when not `url`: a validator is
   * only sent back to the server that gave it.
   */
  from?: string | undefined;
  validator: string;
  total: number | undefined;
  /**
   * For a segmented download (-x): each range `[start, end)` and `pos`, the first byte not yet written.
   * Positions are saved only after their bytes were written, so they never claim more than the file holds.
   */
  segments?: Segment[] | undefined;
}

export interface Segment {
  start: number;
  pos: number;
  end: number;
}

function segmentsFrom(v: unknown, total: number | undefined): Segment[] | undefined {
  if (!Array.isArray(v) || total === undefined) return undefined;
  const out: Segment[] = [];
  for (const s of v) {
    if (!Array.isArray(s) || s.length !== 3 || !s.every((n) => Number.isSafeInteger(n))) return undefined;
    const [start, pos, end] = s as [number, number, number];
    if (!(start >= 0 && start <= pos && pos <= end && end <= total)) return undefined;
    out.push({ start, pos, end });
  }
  return out;
}

export function metaPathOf(partPath: string): string {
  return `${partPath}.meta`;
}

/**
 * The state kept for `partPath`, or undefined when there is none or it cannot be read. A symbolic link or a
 * special file (a FIFO would block the read for ever) there throws UnsafeNameError.
 */
export function readResumeState(partPath: string): ResumeState | undefined {
  let text: string;
  try {
    const fd = openRegularSync(metaPathOf(partPath), READ_OWN, 'read');
    try {
      text = fs.readFileSync(fd, 'utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    if (err instanceof UnsafeNameError) throw err;
    return undefined;
  }
  try {
    const v = JSON.parse(text) as Partial<ResumeState> & {
      v?: number;
    };
    if (v.v !== 1 || typeof v.url !== 'string' || typeof v.validator !== 'string' || v.validator === '') {
      return undefined;
    }
    const total = typeof v.total === 'number' ? v.total : undefined;
    const from = typeof v.from === 'string' ? v.from : undefined;
    if (v.segments === undefined) return { url: v.url, from, validator: v.validator, total };
    const segments = segmentsFrom(v.segments, total);
    // A segment list that does not parse cannot be trusted: no resume at all.
    return segments ? { url: v.url, from, validator: v.validator, total, segments } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Written (synchronously: a few dozen bytes) before the first body byte reaches the `.part`, so a `.part` from a
 * killed run never holds bytes its state does not describe. A state that cannot be written only costs the resume.
 */
export function writeResumeState(partPath: string, s: ResumeState): void {
  try {
    const segments = s.segments?.map((g) => [g.start, g.pos, g.end]);
    const fd = openRegularSync(metaPathOf(partPath), WRITE_NEW, 'write');
    try {
      fs.writeSync(fd, JSON.stringify({ v: 1, ...s, segments }));
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    // A symbolic link or special file there is refused, as at NAME.part.
    if (err instanceof UnsafeNameError) throw err;
    // Otherwise: without the state a later run restarts this file from zero: slower, never wrong.
  }
}

export function removeResumeState(partPath: string): void {
  try {
    fs.rmSync(metaPathOf(partPath), { force: true });
  } catch {
    // Nothing to do: a stale state is ignored unless its URL and validator match.
  }
}
