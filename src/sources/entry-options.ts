import { algorithmByAria2, isUsableHash, usableAria2Types } from '../hash/algorithms.js';
import { applyRequestOption, REQUEST_OPTIONS, showsValues } from './entry-request.js';
import { shownText } from './shown-text.js';
import type { ListEntry } from './types.js';
import { parseByteSize } from '../common/byte-size.js';
import { inRange, SPEED_LIMIT_RANGE } from '../option-values.js';

/**
 * The aria2 option lines of a list entry (`  out=NAME`, `  checksum=sha-256=HEX`, ...): which dlpool acts on,
 * which it warns about, and how one line changes the entry.
 */

/**
 * aria2 per-download options dlpool does not act on per entry: each is warned about (once per run and option
 * name, see openSources), never dropped in silence. Kept in `options`. Where a run-wide option does the same,
 * the warning names it; those stay run-wide: a connect timeout belongs to the connection pool the entries
 * share, and -x borrows its connections from the run's -j slots.
 */
const NOT_PER_ENTRY: ReadonlyMap<string, string | undefined> = new Map([
  ['all-proxy', undefined],
  ['allow-overwrite', '--overwrite'],
  ['always-resume', undefined],
  ['auto-file-renaming', undefined],
  ['check-integrity', undefined],
  ['conditional-get', undefined],
  ['connect-timeout', '--connect-timeout'],
  ['content-disposition-default-utf8', undefined],
  ['continue', undefined],
  ['dry-run', undefined],
  ['file-allocation', undefined],
  ['force-save', undefined],
  ['gid', undefined],
  ['http-accept-gzip', undefined],
  ['http-no-cache', undefined],
  ['http-proxy', undefined],
  ['https-proxy', undefined],
  ['index-out', undefined],
  ['max-connection-per-server', '-x'],
  ['max-download-limit', undefined],
  ['max-file-not-found', undefined],
  ['max-resume-failure-tries', undefined],
  ['min-split-size', '--min-split-size'],
  ['no-netrc', undefined],
  ['no-proxy', undefined],
  ['pause', undefined],
  ['proxy-method', undefined],
  ['remote-time', undefined],
  ['retry-wait', undefined],
  ['reuse-uri', undefined],
  ['select-file', undefined],
  ['split', '-x'],
  ['stream-piece-selector', undefined],
  ['uri-selector', undefined],
  ['use-head', undefined],
]);

/** Options dlpool acts on: one given twice with different values leaves which one was meant a guess. */
const ACTED_ON = new Set([
  'out',
  'dir',
  'checksum',
  'lowest-speed-limit',
  'http-user',
  'http-passwd',
  'max-tries',
  'timeout',
]);

/** Applies one `key=value` line to `entry`: a string is an error message, `{ warning }` a warning. */
export function applyOption(
  entry: ListEntry,
  text: string,
): string | { warning: string; option: string } | undefined {
  const eq = text.indexOf('=');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    return 'indented URL: indented lines are aria2 options; a URL must start at the beginning of its line';
  }
  if (eq < 0) return `option line is not key=value: ${shownText(text)}`;
  const key = text.slice(0, eq).trim();
  const value = text.slice(eq + 1).trim();
  if (key === '') return `option line has no name before '='`;
  // aria2 allows `header` more than once; keep them all, one per line.
  const previous = entry.options[key];
  if (ACTED_ON.has(key) && previous !== undefined && previous !== value) {
    const values = showsValues(key) ? ` ('${shownText(previous)}', then '${shownText(value)}')` : '';
    return `option '${key}' given twice with different values${values}`;
  }
  entry.options[key] = key === 'header' && previous !== undefined ? `${previous}\n${value}` : value;
  switch (key) {
    case 'out':
      if (value === '') return `option 'out' is empty`;
      entry.out = value;
      return undefined;
    case 'dir':
      entry.dir = value === '' ? undefined : value;
      return undefined;
    case 'lowest-speed-limit': {
      // aria2's form (bytes per second, with an optional K or M), read as --speed-limit reads its value.
      const limit = parseByteSize(value);
      if (!inRange(limit, SPEED_LIMIT_RANGE))
        return `option 'lowest-speed-limit': expected bytes per second such as 0, 500 or 10K`;
      entry.lowestSpeedLimit = limit;
      return undefined;
    }
    case 'checksum': {
      const checksum = parseChecksum(value);
      if (typeof checksum === 'string') return checksum;
      entry.checksum = checksum;
      return undefined;
    }
    default: {
      if (REQUEST_OPTIONS.has(key)) return applyRequestOption(entry, key, value);
      if (NOT_PER_ENTRY.has(key)) {
        const flag = NOT_PER_ENTRY.get(key);
        const hint = flag === undefined ? '' : ` (${flag} sets it for the whole run)`;
        return { warning: `aria2 option '${key}' is not used per entry; ignored${hint}`, option: key };
      }
      const shown = key.length > 50 ? `${key.slice(0, 47)}...` : key;
      return { warning: `unknown aria2 option '${shownText(shown)}' ignored`, option: key };
    }
  }
}

function parseChecksum(value: string): { algorithm: string; hex: string } | string {
  const eq = value.indexOf('=');
  if (eq < 0) return `bad checksum '${shownText(value)}': expected TYPE=HEX, e.g. sha-256=<64 hex digits>`;
  const type = value.slice(0, eq).trim().toLowerCase();
  const hex = value.slice(eq + 1).trim();
  const known = algorithmByAria2(type);
  if (!known) {
    const shown = type.length > 30 ? `${type.slice(0, 27)}...` : type;
    return `bad checksum: unknown type '${shown}' (${usableAria2Types().join(', ')})`;
  }
  // Known to aria2 but not computable here (adler32; md5 on a FIPS build): the entry cannot be verified, so it
  // fails here, at its line, and is never fetched.
  if (!isUsableHash(known.name)) {
    return `bad checksum: type '${type}' cannot be computed here (this Node's crypto has no ${known.name})`;
  }
  if (!/^[0-9a-f]*$/i.test(hex) || hex.length !== known.hexLength) {
    return `bad checksum '${shownText(value)}': ${type} needs ${known.hexLength} hex digits`;
  }
  return { algorithm: known.name, hex: hex.toLowerCase() };
}
