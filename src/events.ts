import type { ErrorCode } from './errors.js';

/**
 * Where a download ended up. `skipped`: a file was already there under the final name (not asked for);
 * `unchanged`: it was, and the server said its copy had not changed since (304 to -N's conditional GET);
 * `checked`: a --spider run found that it would download (see FileResult.check).
 */
export type FileStatus = 'downloaded' | 'skipped' | 'unchanged' | 'failed' | 'checked';

export interface ErrorInfo {
  code: ErrorCode;
  message: string;
  /** The system error underneath, when there was one (ECONNRESET, ENOSPC, ...). */
  errno?: string | undefined;
  /** HTTP status of the last answer, for ERR_DL_HTTP_STATUS. */
  status?: number | undefined;
}

/** The outcome of one list entry. URLs never carry credentials here. */
export interface FileResult {
  id: number;
  url: string;
  /** Where the entry came from: `argv`, a list file, or `-`; and its line there. */
  source: string;
  line: number;
  /** Path of the file relative to the output directory (undefined when no name could be made). */
  path: string | undefined;
  status: FileStatus;
  /** Bytes in the final file (downloaded or already present). */
  bytes: number;
  /**
   * Bytes this run received over the network for this entry: `bytes` less what an earlier run had left in its
   * `.part` (0 for a file already present).
   */
  transferred: number;
  /** HTTP attempts made (0 for skipped files and bad list lines; an unchanged file's conditional GET counts). */
  attempts: number;
  /** Wall time spent on this entry. */
  ms: number;
  /** True when a retry continued from the bytes already received (HTTP Range). */
  resumed: boolean;
  /** The mirror the file came from, when not `url` (a list line's other URLs; credentials removed). */
  mirror?: string | undefined;
  error?: ErrorInfo | undefined;
  /** The file's digest, when hashing was on; `verified` when it matched a known checksum. */
  digest?: Digest | undefined;
  /** A --spider check's answer: its HTTP status, the size the server announced, and the request that got it. */
  check?: CheckInfo | undefined;
}

export interface CheckInfo {
  status: number;
  size: number | undefined;
  /** HEAD, or a one-byte range GET where HEAD was refused. */
  method: 'HEAD' | 'GET';
}

export interface Digest {
  algorithm: string;
  hex: string;
  verified: boolean;
}

export interface StartEvent {
  type: 'start';
  id: number;
  url: string;
  path: string;
  attempt: number;
  /** Bytes expected, when the server said (Content-Length or Content-Range total). */
  total: number | undefined;
  /** Bytes already in the `.part` file this attempt continues from. */
  offset: number;
}

export interface ProgressEvent {
  type: 'progress';
  id: number;
  url: string;
  path: string;
  /** Bytes in the `.part` file so far (including resumed bytes). */
  transferred: number;
  total: number | undefined;
}

export interface RetryEvent {
  type: 'retry';
  id: number;
  url: string;
  /** The attempt that failed (1-based) and the delay before the next. */
  attempt: number;
  delayMs: number;
  error: ErrorInfo;
}

export interface WarningEvent {
  type: 'warning';
  message: string;
  source?: string | undefined;
  line?: number | undefined;
}

export interface ResultEvent {
  type: 'result';
  result: FileResult;
}

/** Every source was read to its end: `count` entries in all (until now the count was still growing). */
export interface ListedEvent {
  type: 'listed';
  count: number;
}

/**
 * `verbose`: what one request of a download sent (`> ` lines) or what came back (`< ` lines), per attempt, range
 * and redirect hop, in order for each download; credentials and cookie values redacted (see transport/trace.ts).
 */
export interface HeadersEvent {
  type: 'headers';
  id: number;
  url: string;
  lines: string[];
}

/** Everything a renderer can subscribe to; the CLI's bars, plain lines and JSON are three subscribers. */
export type DownloadEvent =
  StartEvent | ProgressEvent | RetryEvent | WarningEvent | ResultEvent | ListedEvent | HeadersEvent;

export type EventListener = (event: DownloadEvent) => void;
