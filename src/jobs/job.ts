import type { FileResult } from '../events.js';
import type { ListEntry } from '../sources/types.js';

/** One download to do: a checked URL with the name it will be saved under. */
export interface Job {
  id: number;
  /** The URL as given, credentials included (they are sent, never printed). */
  url: URL;
  /** The URL with credentials stripped: the only form that reaches events, errors and output. */
  displayUrl: string;
  /** Other URLs of the same file (checked), tried in turn after a failed attempt; empty without mirrors. */
  mirrors: readonly URL[];
  source: string;
  line: number;
  entry: ListEntry;
  /**
   * Path relative to the output directory, already claimed in this run's NameRegistry.
   * Undefined with --content-disposition: the name is chosen when the response headers arrive.
   */
  rel: string | undefined;
  /** What --per-host counts by: host and port. */
  host: string;
  /**
   * Another download of this run for the same host:port is queued or running (set when this one starts): its
   * connection is worth keeping alive (see KeepAlive).
   */
  hostAgain?: boolean | undefined;
}

export type JobOrResult = { job: Job } | { result: FileResult };
