import { redactUrl } from '../errors.js';
import {
  HEADER_NAME,
  HEADER_VALUE_BAD,
  inRange,
  MAX_DELAY_MS,
  MAX_RETRIES,
  rangeText,
  RETRIES_RANGE,
  secondsToMs,
  TIMEOUT_RANGE,
} from '../option-values.js';
import { shownText } from './shown-text.js';
import type { ListEntry } from './types.js';

/**
 * The aria2 option lines that shape one entry's requests (`header=`, `referer=`, `user-agent=`, `http-user=`,
 * `http-passwd=`, `max-tries=`, `timeout=`): each read into a field of the entry, which the fetch side applies
 * to that entry's requests only (policy/entry-settings.ts). Header values and credentials never appear in a
 * message: they may be tokens.
 */

export const REQUEST_OPTIONS: ReadonlySet<string> = new Set([
  'header',
  'referer',
  'user-agent',
  'http-user',
  'http-passwd',
  'max-tries',
  'timeout',
]);

/** Options whose values are never shown, not even as the text of a failed line. */
const SECRET = new Set(['http-user', 'http-passwd']);

/**
 * Headers an entry may not set: dlpool asks for ranges itself (resume, -x), and the HTTP client refuses to send the
 * connection's own headers (a list line would fail every attempt of its entry instead of once, here).
 */
const NOT_PER_ENTRY: ReadonlyMap<string, string> = new Map([
  ['range', 'dlpool asks for ranges itself, to resume and for -x'],
  ['if-range', 'dlpool asks for ranges itself, to resume and for -x'],
  ['connection', 'it belongs to the connection, not to a request'],
  ['keep-alive', 'it belongs to the connection, not to a request'],
  ['transfer-encoding', 'it belongs to the connection, not to a request'],
  ['upgrade', 'it belongs to the connection, not to a request'],
  ['te', 'it belongs to the connection, not to a request'],
  ['expect', 'a GET has no body to announce'],
  ['content-length', 'a GET has no body to announce'],
]);

/** Applies one of REQUEST_OPTIONS to `entry`; returns an error message for a value that cannot be used. */
export function applyRequestOption(entry: ListEntry, key: string, value: string): string | undefined {
  switch (key) {
    case 'header':
      return header(entry, value);
    case 'referer': {
      if (value === '') return `option 'referer' is empty (a URL, or * for the entry's own)`;
      // aria2's `*`: the entry's URL is its own referer (without credentials or fragment).
      const shown = value === '*' ? ownUrl(entry.url) : value;
      if (HEADER_VALUE_BAD.test(shown)) return `option 'referer': ${BAD_VALUE}`;
      return setHeader(entry, 'referer', shown);
    }
    case 'user-agent':
      if (value === '') return `option 'user-agent' is empty`;
      if (HEADER_VALUE_BAD.test(value)) return `option 'user-agent': ${BAD_VALUE}`;
      return setHeader(entry, 'user-agent', value);
    case 'http-user':
      // RFC 7617: the user name ends at the first colon, so one in it would move the rest into the password.
      if (value.includes(':')) return `option 'http-user' holds a ':', which Basic credentials cannot carry`;
      entry.httpUser = value;
      return undefined;
    case 'http-passwd':
      entry.httpPassword = value;
      return undefined;
    case 'max-tries': {
      const n = /^\d{1,5}$/.test(value) ? Number(value) : -1;
      if (n < 0 || n > MAX_RETRIES + 1) {
        return `option 'max-tries': expected 0 (no limit) or a number of tries from 1 to ${MAX_RETRIES + 1}`;
      }
      entry.retries = n === 0 ? Infinity : n - 1;
      return undefined;
    }
    case 'timeout': {
      // The rule of --timeout, so a list's line takes what the flag takes.
      const ms = /^(\d+(\.\d*)?|\.\d+)$/.test(value) ? secondsToMs(Number(value)) : 0;
      if (!inRange(ms, TIMEOUT_RANGE)) {
        return `option 'timeout': expected seconds without a byte such as 30 or 0.5 (more than 0, at most ${Math.floor(MAX_DELAY_MS / 1000)})`;
      }
      entry.timeoutMs = ms;
      return undefined;
    }
    default:
      return `option '${key}' is not a request option`;
  }
}

const BAD_VALUE = 'the value holds a control character or a character past U+00FF';

function header(entry: ListEntry, line: string): string | undefined {
  const colon = line.indexOf(':');
  const name = colon > 0 ? line.slice(0, colon).trim() : '';
  if (!HEADER_NAME.test(name)) {
    // Only the first word is echoed: the rest may be a token (`header=Authorization Bearer xyz`).
    const shown = /^[^\s:]{0,40}/.exec(line)?.[0] ?? '';
    return `option 'header': expected "Name: value" (a colon after the name), got '${shownText(shown)}${shown.length < line.length ? ' ...' : ''}'`;
  }
  const lower = name.toLowerCase();
  const why = NOT_PER_ENTRY.get(lower);
  if (why !== undefined) return `option 'header': ${name} cannot be set per entry (${why})`;
  const value = line.slice(colon + 1).trim();
  if (HEADER_VALUE_BAD.test(value)) return `option 'header': the value of '${name}': ${BAD_VALUE}`;
  return setHeader(entry, lower, value);
}

/** One value per header name and entry: a second, different one (header=Referer: and referer=) is a guess. */
function setHeader(entry: ListEntry, name: string, value: string): string | undefined {
  const headers = (entry.headers ??= {});
  const had = headers[name];
  if (had !== undefined && had !== value) {
    return `header '${name}' given twice with different values (once per entry: header=, referer= and user-agent= set the same headers)`;
  }
  headers[name] = value;
  return undefined;
}

function ownUrl(url: string): string {
  try {
    const u = new URL(redactUrl(url));
    u.hash = '';
    return u.href;
  } catch {
    // (A range's stand-in entry, whose URL line is another read's, has none.)
    return '';
  }
}

/**
 * Why an entry's request settings cannot be used, or undefined: for entries given to the library as objects,
 * which no list line checked (a header the HTTP client refuses would fail every attempt of the entry instead).
 */
export function requestProblem(entry: ListEntry): string | undefined {
  if (entry.headers !== undefined) return headersProblem(entry.headers) ?? settingsProblem(entry);
  return entry.httpUser === undefined && entry.retries === undefined && entry.timeoutMs === undefined
    ? undefined
    : settingsProblem(entry);
}

function headersProblem(headers: Record<string, string>): string | undefined {
  for (const [name, value] of Object.entries(headers)) {
    if (!HEADER_NAME.test(name) || name !== name.toLowerCase()) {
      return `headers: '${shownText(name.slice(0, 40))}' is not a header name in lower case`;
    }
    const why = NOT_PER_ENTRY.get(name);
    if (why !== undefined) return `headers: ${name} cannot be set per entry (${why})`;
    if (typeof value !== 'string' || HEADER_VALUE_BAD.test(value))
      return `headers: the value of '${name}': ${BAD_VALUE}`;
  }
  return undefined;
}

function settingsProblem(entry: ListEntry): string | undefined {
  if (entry.httpUser?.includes(':')) return `httpUser holds a ':', which Basic credentials cannot carry`;
  const { retries, timeoutMs } = entry;
  if (retries !== undefined && retries !== Infinity && !inRange(retries, RETRIES_RANGE)) {
    return `retries: expected ${rangeText(RETRIES_RANGE)}, or Infinity`;
  }
  if (timeoutMs !== undefined && !inRange(timeoutMs, TIMEOUT_RANGE)) {
    return `timeoutMs: expected ${rangeText(TIMEOUT_RANGE)}`;
  }
  return undefined;
}

/** An option line as a report may show it: the value of a credential or a header left out. */
export function shownOptionLine(text: string): string {
  const eq = text.indexOf('=');
  const key = eq < 0 ? '' : text.slice(0, eq).trim();
  if (SECRET.has(key)) return `${key}=***`;
  if (key === 'header')
    return `header=${
      text
        .slice(eq + 1)
        .split(':')[0]
        ?.trim() ?? ''
    }: ***`;
  return text;
}

/** Does `key`'s "given twice with different values" message show the values? */
export function showsValues(key: string): boolean {
  return !SECRET.has(key);
}
