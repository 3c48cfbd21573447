/**
 * Every failure dlpool reports is a DlpoolError with a stable `code`. The README's error table lists them all;
 * keep the two in step.
 */
export const ERROR_CODES = {
  ERR_DL_USAGE: 'bad option or argument',
  ERR_DL_INPUT:
    'a file named on the command line (list, checksum file, manifest, CA certificate, `--config`) cannot be opened, the config file has a bad line (`FILE:LINE`), a checksum file has no checksum line, or `serve` cannot listen on its port',
  ERR_DL_LIST_LINE: 'a line of a list file is not a usable URL or option',
  ERR_DL_UNSUPPORTED_SCHEME: 'the URL is not http: or https:',
  ERR_DL_HTTP_STATUS: 'the server answered with an error status',
  ERR_DL_TIMEOUT: 'no byte arrived within the connect or idle timeout',
  ERR_DL_NETWORK: 'the connection failed or was cut',
  ERR_DL_DNS: 'the host name does not exist (ENOTFOUND)',
  ERR_DL_TLS: 'the https certificate was not trusted or the TLS handshake failed (see --ca-certificate, -k)',
  ERR_DL_PROTOCOL: 'the answer breaks HTTP (a malformed status line or header, headers too large)',
  ERR_DL_REQUEST: 'the request cannot be sent as given (an invalid header value or URL path)',
  ERR_DL_LENGTH_MISMATCH: 'the body was shorter or longer than Content-Length / Content-Range',
  ERR_DL_TOO_LARGE: 'the file is larger than --max-size (by its Content-Length or the bytes received)',
  ERR_DL_TOO_MANY_REDIRECTS: 'more redirects than --max-redirects',
  ERR_DL_BAD_REDIRECT: 'a redirect without a usable Location',
  ERR_DL_INSECURE_REDIRECT: 'a redirect from https: to http:, refused without --allow-insecure-redirects',
  ERR_DL_UNSAFE_NAME:
    'no safe file name could be made inside the output directory, or a symbolic link is in the way',
  ERR_DL_FILE:
    'the file could not be written or renamed (disk full, permissions), or for hash and verify, read (its errno in `error.errno`)',
  ERR_DL_NO_RESUME:
    '`-o -`: a retry could not continue where the bytes already written to stdout stopped (the server sent the whole file again or another version of it, or gave no `ETag` or `Last-Modified` to prove the rest would be of the same file); nothing is written twice',
  ERR_DL_CHECKSUM: 'the digest did not match the expected checksum, also after one fresh download',
  ERR_DL_NO_CHECKSUM: 'no expected checksum for this URL, and --require-checksum was given',
  ERR_DL_BUSY:
    'another dlpool run is writing NAME.part (it holds NAME.part.lock), or another writer changed NAME.part while this run wrote it',
  ERR_DL_ABORTED: 'the run was interrupted before this download finished',
  ERR_DL_WORKER: 'the download worker thread (--mode threads) died twice while running this download',
  ERR_DL_REDIS:
    'queue mode: Redis did not answer within --redis-timeout, or refused the password (the command exits 2)',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface DlpoolErrorInit {
  url?: string | undefined;
  attempt?: number | undefined;
  maxAttempts?: number | undefined;
  cause?: unknown;
  errno?: string | undefined;
}

/** Removes `user:password@` from a URL so it never reaches a log line, error or JSON output. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username || u.password) {
      u.username = '';
      u.password = '';
    }
    return u.href;
  } catch {
    // Unparseable, so where the userinfo ends is a guess: a password may hold an unescaped `/`, `@`, a blank
    // or a tab. Everything from the first `//` to the last `@` goes; hiding a little too much beats a password.
    return url.replace(/\/\/[\s\S]*@/, '//');
  }
}

/**
 * Removes userinfo from every URL of a text (a list line may hold several, tab-separated). A password may hold
 * a tab, so a field with `//` and no `@` runs on through the next fields up to one with `@` (and no `//` of its
 * own). Fields without `//...@` are left exactly as written.
 */
export function redactText(text: string): string {
  const fields = text.split('\t');
  for (let i = 0; i < fields.length; i++) {
    if (!fields[i]!.includes('//')) continue;
    let j = i;
    while (!fields[j]!.includes('@') && j + 1 < fields.length && !fields[j + 1]!.includes('//')) j++;
    if (!fields[j]!.includes('@')) continue;
    fields.splice(i, j - i + 1, redactUrl(fields.slice(i, j + 1).join('\t')));
  }
  return fields.join('\t');
}

export class DlpoolError extends Error {
  readonly code: ErrorCode;
  readonly url: string | undefined;
  readonly attempt: number | undefined;
  /** The system error code underneath (ECONNRESET, ENOSPC, ...), kept for scripts that care. */
  readonly errno: string | undefined;

  constructor(code: ErrorCode, message: string, init: DlpoolErrorInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'DlpoolError';
    this.code = code;
    this.url = init.url === undefined ? undefined : redactUrl(init.url);
    this.attempt = init.attempt;
    this.errno = init.errno ?? errnoOf(init.cause);
  }
}

export class HttpStatusError extends DlpoolError {
  readonly status: number;
  readonly retryAfterMs: number | undefined;
  constructor(
    status: number,
    statusText: string,
    init: DlpoolErrorInit & { retryAfterMs?: number | undefined },
  ) {
    super('ERR_DL_HTTP_STATUS', `${status} ${statusText}`.trim(), init);
    this.name = 'HttpStatusError';
    this.status = status;
    this.retryAfterMs = init.retryAfterMs;
  }
}

export type TimeoutPhase = 'connect' | 'headers' | 'body';

export class TimeoutError extends DlpoolError {
  readonly phase: TimeoutPhase;
  constructor(phase: TimeoutPhase, ms: number, init: DlpoolErrorInit) {
    super('ERR_DL_TIMEOUT', `${phase} timeout after ${ms / 1000} s`, init);
    this.name = 'TimeoutError';
    this.phase = phase;
  }
}

export class LengthMismatchError extends DlpoolError {
  readonly expected: number;
  readonly actual: number;
  constructor(expected: number, actual: number, init: DlpoolErrorInit) {
    super('ERR_DL_LENGTH_MISMATCH', `received ${actual} of ${expected} bytes`, init);
    this.name = 'LengthMismatchError';
    this.expected = expected;
    this.actual = actual;
  }
}

/** The file is larger than maxSizeBytes (--max-size): by what the server announced, or by what arrived. */
export class TooLargeError extends DlpoolError {
  constructor(limit: number, what: string, init: DlpoolErrorInit) {
    super('ERR_DL_TOO_LARGE', `${what} is over the --max-size limit of ${limit} bytes`, init);
    this.name = 'TooLargeError';
  }
}

export class ChecksumMismatchError extends DlpoolError {
  readonly algorithm: string;
  readonly expected: string;
  readonly actual: string;
  constructor(algorithm: string, expected: string, actual: string, init: DlpoolErrorInit) {
    super('ERR_DL_CHECKSUM', `${algorithm} mismatch: expected ${expected}, got ${actual}`, init);
    this.name = 'ChecksumMismatchError';
    this.algorithm = algorithm;
    this.expected = expected;
    this.actual = actual;
  }
}

export class UnsafeNameError extends DlpoolError {
  constructor(message: string, init: DlpoolErrorInit = {}) {
    super('ERR_DL_UNSAFE_NAME', message, init);
    this.name = 'UnsafeNameError';
  }
}

/**
 * Another writer has the `.part`: a dlpool run holding its lock, or one that changed it under this run. Waited
 * for with the retry backoff, like a busy server.
 */
export class BusyError extends DlpoolError {
  constructor(message: string, init: DlpoolErrorInit = {}) {
    super('ERR_DL_BUSY', message, init);
    this.name = 'BusyError';
  }
}

/** Thrown by normalizeOptions and the CLI for bad options; the message starts with the option's name. */
export class UsageError extends DlpoolError {
  constructor(message: string) {
    super('ERR_DL_USAGE', message);
    this.name = 'UsageError';
  }
}

export function errnoOf(err: unknown): string | undefined {
  if (err && typeof err === 'object' && 'code' in err && typeof err.code === 'string') {
    return /^E[A-Z0-9]+$/.test(err.code) ? err.code : undefined;
  }
  return undefined;
}
