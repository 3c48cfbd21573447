import path from 'node:path';
import { UsageError } from '../errors.js';
import { HEADER_VALUE_BAD } from '../option-values.js';

/**
 * What a request needs of the run's cookies. The jar lives on the main thread (CookieSession); a worker thread
 * of --mode threads asks it (see run-relay.ts), so both engines send, keep and write the same cookies.
 */
export interface CookieAccess {
  /** The Cookie header for a request to `url` ('' for none). */
  header(url: string): string | Promise<string>;
  /** A response from `url` said these Set-Cookie values (stored before a redirect is followed). */
  store(url: string, setCookie: readonly string[]): void;
}

/** The run's cookies as normalizeOptions settles them from `cookie` and `cookieJar`. */
export interface CookieChoice {
  /** A Netscape cookie file to load. */
  file: string | undefined;
  /** `NAME=VALUE; ...`, sent as it is with every request (curl -b 'a=b'). */
  literal: string | undefined;
  /** Where the cookies are written when the run ends: a file, or `-` for the run's `stdout` stream. */
  jar: string | undefined;
}

/**
 * As curl -b: a value holding `=` is cookies, anything else a file name. As curl -c -, a jar of `-` is written to
 * `stdout`, which must be given and carry nothing else (`output` is not `-`).
 */
export function cookieChoice(
  cookie: unknown,
  cookieJar: unknown,
  stdout?: unknown,
  output?: unknown,
): CookieChoice | undefined {
  if (cookie === undefined && cookieJar === undefined) return undefined;
  if (cookieJar === '-') {
    if (typeof (stdout as { write?: unknown } | undefined)?.write !== 'function')
      throw new UsageError(
        'cookieJar: - writes the cookies to the stream given as stdout, and none was given',
      );
    if (output === '-')
      throw new UsageError('cookieJar: - writes the cookies to stdout, where output - writes the body');
  }
  if (cookie !== undefined && (typeof cookie !== 'string' || cookie === '')) {
    throw new UsageError('cookie: expected a cookie file or "NAME=VALUE; ..."');
  }
  if (cookieJar !== undefined && (typeof cookieJar !== 'string' || cookieJar === '')) {
    throw new UsageError('cookieJar: expected a file path');
  }
  const literal = cookie?.includes('=') ? cookie.trim() : undefined;
  if (literal !== undefined && HEADER_VALUE_BAD.test(literal)) {
    throw new UsageError('cookie: "NAME=VALUE; ..." must be one line of text without control characters');
  }
  return {
    file: cookie !== undefined && literal === undefined ? path.resolve(cookie) : undefined,
    literal,
    jar: cookieJar === undefined || cookieJar === '-' ? cookieJar : path.resolve(cookieJar),
  };
}
