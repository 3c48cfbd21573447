import type { DownloadEvent } from '../../events.js';
import type { DownloadSummary } from '../../report/summary.js';

/** A subscriber to a run's events that owns what the user sees. */
export interface Renderer {
  onEvent(event: DownloadEvent): void;
  /** The run ended (normally or interrupted): print the totals. */
  finish(summary: DownloadSummary): void;
  /** Stop drawing at once (second Ctrl-C, fatal error). */
  stop(): void;
}

export interface Output {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}
