import type { ErrorInfo, FileResult } from '../events.js';

export interface DownloadSummary {
  /** Every entry's result, in the order they finished; empty with `keepResults: false`. */
  results: FileResult[];
  downloaded: number;
  skipped: number;
  /** Files already there that the server said had not changed (-N). */
  unchanged: number;
  failed: number;
  /** URLs a --spider run found it would download. */
  checked: number;
  /** Bytes in the files this run downloaded (skipped files not counted; a resumed file counts whole). */
  bytes: number;
  /** Bytes this run received over the network (a resumed file only what it fetched; failed ones too). */
  transferred: number;
  /** Retries made across all downloads. */
  retries: number;
  /** Files downloaded or already present whose digest was not checked against an expected one. */
  unverified: number;
  elapsedMs: number;
  /** Set when the run was stopped by its AbortSignal; the reason given to abort(), if a string. */
  interrupted: string | undefined;
  /** The output directory; `-` when the body went to a stream (`output: '-'`). */
  dir: string;
  /** Outputs of the run itself that could not be written (the --manifest): the run fails (exit 1). */
  errors: ErrorInfo[];
  /** With shards: how many this run took, and how many it skipped because an earlier run had finished them. */
  shards?: { taken: number; skipped: number } | undefined;
}

/** Counts results as they arrive; keeps them only when asked (a million-URL run must not grow). */
export class SummaryBuilder {
  readonly results: FileResult[] = [];
  downloaded = 0;
  skipped = 0;
  unchanged = 0;
  failed = 0;
  checked = 0;
  bytes = 0;
  retries = 0;
  unverified = 0;
  transferred = 0;

  constructor(private readonly keep: boolean) {}

  add(r: FileResult): void {
    if (this.keep) this.results.push(r);
    if (r.status === 'downloaded') {
      this.downloaded++;
      this.bytes += r.bytes;
    } else if (r.status === 'skipped') this.skipped++;
    else if (r.status === 'unchanged') this.unchanged++;
    else if (r.status === 'checked') this.checked++;
    else this.failed++;
    if (r.attempts > 1) this.retries += r.attempts - 1;
    this.transferred += r.transferred;
    if ((r.status === 'downloaded' || r.status === 'skipped') && r.digest?.verified !== true)
      this.unverified++;
  }

  build(
    dir: string,
    elapsedMs: number,
    interrupted: string | undefined,
    errors: ErrorInfo[] = [],
  ): DownloadSummary {
    const {
      results,
      downloaded,
      skipped,
      unchanged,
      failed,
      checked,
      bytes,
      transferred,
      retries,
      unverified,
    } = this;
    return {
      results,
      downloaded,
      skipped,
      unchanged,
      failed,
      checked,
      bytes,
      transferred,
      retries,
      unverified,
      elapsedMs,
      interrupted,
      dir,
      errors,
    };
  }
}

/** Documented exit codes (README): the one function that maps a run to one. */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2, PIPE: 141, SIGINT: 130, SIGTERM: 143 } as const;

export function exitCodeFor(
  summary: Pick<DownloadSummary, 'failed' | 'interrupted'> & { errors?: readonly unknown[] },
): number {
  if (summary.interrupted === 'SIGINT') return EXIT.SIGINT;
  if (summary.interrupted === 'SIGTERM') return EXIT.SIGTERM;
  if (summary.interrupted !== undefined) return EXIT.SIGINT;
  return summary.failed > 0 || (summary.errors?.length ?? 0) > 0 ? EXIT.FAILED : EXIT.OK;
}
