import fs from 'node:fs';
import { WRITE_NEW } from './part.js';

/**
 * What a later run needs to resume a `.part` file safely, kept beside it as `NAME.part.meta`: the URL it came
 * from and the validator (strong ETag or Last-Modified) and length of the version it holds. A resumed request
 * sends `If-Range` with that validator, so a changed file restarts instead of being spliced onto old bytes.
 * Without a validator nothing is kept, and a later run starts over.
 */
export interface ResumeState {
  url: string;
  validator: string;
  total: number | undefined;
}

export function metaPathOf(partPath: string): string {
  return `${partPath}.meta`;
}

/** The state kept for `partPath`, or undefined when there is none or it cannot be read. */
export function readResumeState(partPath: string): ResumeState | undefined {
  try {
    const v = JSON.parse(fs.readFileSync(metaPathOf(partPath), 'utf8')) as Partial<ResumeState> & {
      v?: number;
    };
    if (v.v !== 1 || typeof v.url !== 'string' || typeof v.validator !== 'string' || v.validator === '') {
      return undefined;
    }
    return { url: v.url, validator: v.validator, total: typeof v.total === 'number' ? v.total : undefined };
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
    fs.writeFileSync(metaPathOf(partPath), JSON.stringify({ v: 1, ...s }), {
      flag: WRITE_NEW as unknown as string,
    });
  } catch {
    // Without the state a later run restarts this file from zero: slower, never wrong.
  }
}

export function removeResumeState(partPath: string): void {
  try {
    fs.rmSync(metaPathOf(partPath), { force: true });
  } catch {
    // Nothing to do: a stale state is ignored unless its URL and validator match.
  }
}
