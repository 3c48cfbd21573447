import { UsageError } from './errors.js';

// The rules option values are checked by (numbers in range, delays a timer can hold, header lines a request can
// carry): normalizeOptions applies them, each error starting with the option's name, and the CLI checks its
// flags by the same ranges (src/cli/from-argv.ts).

/**
 * The longest delay or timeout dlpool accepts or waits in one piece: Node's timers hold 2^31-1 ms (~24.8 days) and
 * turn anything longer into 1 ms, so an unchecked Retry-After or option would fire at once instead of never.
 */
export const MAX_DELAY_MS = 2 ** 31 - 1;

/** The most retries a download may be given (--retries, an entry's max-tries=). */
export const MAX_RETRIES = 1000;

/** The slowest --host-rate: one request a day. Slower is a typo (1e-300), and its spacing would overflow a timer. */
export const MIN_HOST_RATE = 1 / 86_400;

/**
 * The values a number option takes, in the unit the library takes it (milliseconds, bytes). The library checks
 * its option by it and the CLI the flag that sets it (in the flag's unit), so each accepts what the other does.
 */
export interface NumberRange {
  readonly min: number;
  readonly max: number;
  readonly whole: boolean;
}

export function wholeRange(min: number, max = Number.MAX_SAFE_INTEGER): NumberRange {
  return { min, max, whole: true };
}

/** A delay or timeout in whole milliseconds from `min`, no longer than a timer can wait. */
export function delayRange(min = 1): NumberRange {
  return wholeRange(min, MAX_DELAY_MS);
}

export function inRange(value: unknown, r: NumberRange): value is number {
  return (
    typeof value === 'number' && value >= r.min && value <= r.max && (!r.whole || Number.isInteger(value))
  );
}

/** Seconds (a flag's, an entry's `timeout=`) as the whole milliseconds a range of delays takes, rounded. */
export function secondsToMs(seconds: number): number {
  return Math.round(seconds * 1000);
}

/** `a whole number from 1 to 10000`, `a number from 0 to 1`, `a whole number` (any safe integer). */
export function rangeText(r: NumberRange): string {
  const what = r.whole ? 'a whole number' : 'a number';
  return r.min <= Number.MIN_SAFE_INTEGER && r.max >= Number.MAX_SAFE_INTEGER
    ? what
    : `${what} from ${r.min} to ${r.max}`;
}

/** The value in its range, the fallback when it is undefined; else an error naming the option. */
export function inRangeOr(name: string, value: unknown, fallback: number, r: NumberRange): number {
  if (value === undefined) return fallback;
  if (!inRange(value, r)) throw new UsageError(`${name}: expected ${rangeText(r)}, got ${String(value)}`);
  return value;
}

/**
 * The ranges an entry of a list may set per entry too (aria2's `max-tries=`, `timeout=`, `lowest-speed-limit=`),
 * by the rule of the run's option (DOWNLOAD_OPTION_TABLE names them).
 */
export const RETRIES_RANGE = wholeRange(0, MAX_RETRIES);
export const TIMEOUT_RANGE = delayRange();
export const SPEED_LIMIT_RANGE = wholeRange(0);

/** Requests per second of --host-rate: from one a day to a million. */
export const HOST_RATE_RANGE: NumberRange = { min: MIN_HOST_RATE, max: 1_000_000, whole: false };

/** Requests per second from one a day to a million, or undefined (no limit). */
export function rate(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (!inRange(value, HOST_RATE_RANGE)) {
    throw new UsageError(
      `${name}: expected requests per second from 1/86400 (one a day) to 1000000, such as 2 or 0.5, got ${String(value)}`,
    );
  }
  return value;
}

/** A whole number from `min` (or in the range given) to `max`, the fallback when it is undefined. */
export function int(
  name: string,
  value: unknown,
  fallback: number,
  min: number | NumberRange,
  max = Number.MAX_SAFE_INTEGER,
): number {
  return inRangeOr(name, value, fallback, typeof min === 'number' ? wholeRange(min, max) : min);
}

/** A delay or timeout in whole milliseconds, no longer than a timer can wait. */
export function ms(name: string, value: unknown, fallback: number, min: number): number {
  return inRangeOr(name, value, fallback, delayRange(min));
}

export function bool(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean')
    throw new UsageError(`${name}: expected true or false, got ${String(value)}`);
  return value;
}

export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/**
 * What a header value may not hold (RFC 9110 5.5: a CR or LF would end the header and start another), and what
 * the HTTP client refuses to send besides: characters past U+00FF.
 */
export const HEADER_VALUE_BAD = /[^\t\x20-\x7e\x80-\xff]/;

/**
 * Parses `"Key: Value"` header strings (curl's -H form) into an object. A value no request can carry (a line
 * break, see HEADER_VALUE_BAD) is refused here, once, before any request (the HTTP client would refuse every request).
 */
export function parseHeaders(input: Record<string, string> | string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (input === undefined) return out;
  const pairs: [string, string][] = [];
  if (Array.isArray(input)) {
    for (const h of input) {
      const i = h.indexOf(':');
      const key = i > 0 ? h.slice(0, i).trim() : '';
      if (!HEADER_NAME.test(key)) {
        // Only the first word is echoed: the rest may be a token (`-H "Authorization Bearer xyz"`).
        const shown = /^\S{0,40}/.exec(h)?.[0] ?? '';
        throw new UsageError(
          `headers: expected "Name: value" (a colon after the name), got ${JSON.stringify(shown + (shown.length < h.length ? ' …' : ''))}`,
        );
      }
      pairs.push([key, h.slice(i + 1).trim()]);
    }
  } else {
    for (const [k, v] of Object.entries(input)) {
      if (!HEADER_NAME.test(k)) throw new UsageError(`headers: ${JSON.stringify(k)} is not a header name`);
      pairs.push([k, String(v)]);
    }
  }
  for (const [key, value] of pairs) {
    // The value is not echoed: it may be a token.
    if (HEADER_VALUE_BAD.test(value)) {
      throw new UsageError(
        `headers: the value of '${key}' holds a line break, a control character or a character past U+00FF (one header per -H)`,
      );
    }
    out[key.toLowerCase()] = value;
  }
  return out;
}
