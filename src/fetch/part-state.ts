import { commitPart, discardPart, partSize } from '../file/part.js';
import { readResumeState, removeResumeState, writeResumeState } from '../file/resume-state.js';
import type { Job } from '../jobs/job.js';
import type { Progress } from './context.js';

/** The `.part` file's resume state across attempts and runs (`NAME.part.meta`). */
/**
 * A `.part` left by an earlier run is continued only when the state beside it names the same URL and a
 * validator: the request then carries `If-Range`, so a changed file comes back whole (200) and restarts.
 */
export async function resumeFromEarlierRun(job: Job, state: Progress, partPath: string): Promise<void> {
  const saved = readResumeState(partPath);
  if (!saved) return;
  state.meta = true;
  if (saved.url !== job.displayUrl) return;
  const size = await partSize(partPath);
  if (size === 0) return;
  state.validator = saved.validator;
  state.total = saved.total;
  if (saved.segments) {
    // A segmented .part is sized to the whole file when it is created; any other size is not ours to trust.
    if (size === saved.total) state.segments = saved.segments;
    return;
  }
  state.offset = size;
}

/** Records (or clears) what a later run needs to resume this `.part`, before any body byte is in it. */
export function keepResumeState(job: Job, state: Progress, partPath: string): void {
  if (state.validator !== undefined) {
    writeResumeState(partPath, { url: job.displayUrl, validator: state.validator, total: state.total });
    state.meta = true;
  } else if (state.meta) {
    removeResumeState(partPath);
    state.meta = false;
  }
}

export async function dropPart(state: Progress, partPath: string): Promise<void> {
  await discardPart(partPath);
  if (state.meta) removeResumeState(partPath);
  state.meta = false;
  state.segments = undefined;
}

/**
 * Gives a complete (and verified) `.part` its final name. The resume state goes first: killed in between, a
 * `.part` without state is simply fetched again, while a state left beside a finished file would be stale.
 */
export async function finishPart(state: Progress, partPath: string, finalPath: string): Promise<void> {
  if (state.meta) removeResumeState(partPath);
  state.meta = false;
  await commitPart(partPath, finalPath);
}
