import readline from 'node:readline';
import type { Readable } from 'node:stream';
import { redactUrl } from '../errors.js';
import type { ListEntry, ListLineError, SourceItem } from './types.js';

const MAX_LINE = 8192;

/** aria2 input-file options we read (out, dir, checksum) or accept silently for later features. */
const KNOWN_OPTIONS = new Set([
  'out',
  'dir',
  'checksum',
  'header',
  'referer',
  'user-agent',
  'split',
  'max-connection-per-server',
  'min-split-size',
  'continue',
  'allow-overwrite',
  'auto-file-renaming',
  'check-integrity',
  'max-download-limit',
  'max-tries',
  'retry-wait',
  'timeout',
  'connect-timeout',
  'select-file',
  'index-out',
  'pause',
  'gid',
  'http-user',
  'http-passwd',
  'all-proxy',
  'http-proxy',
  'https-proxy',
  'no-proxy',
  'remote-time',
]);

/** aria2's digest names -> node:crypto's. */
const ALGORITHMS: Record<string, string> = {
  'sha-1': 'sha1',
  'sha-224': 'sha224',
  'sha-256': 'sha256',
  'sha-384': 'sha384',
  'sha-512': 'sha512',
  md5: 'md5',
  adler32: 'adler32',
};
const HEX_LENGTH: Record<string, number> = {
  sha1: 40,
  sha224: 56,
  sha256: 64,
  sha384: 96,
  sha512: 128,
  md5: 32,
  adler32: 8,
};

export type UrlCheck =
  | { ok: true; url: URL }
  | { ok: false; code: 'ERR_DL_LIST_LINE' | 'ERR_DL_UNSUPPORTED_SCHEME'; message: string };

/** A usable download URL: parses, and is http: or https:. */
export function checkUrl(text: string): UrlCheck {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, code: 'ERR_DL_LIST_LINE', message: `not a valid URL: ${shown(text)}` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return {
      ok: false,
      code: 'ERR_DL_UNSUPPORTED_SCHEME',
      message: `unsupported scheme '${url.protocol}': ${shown(text)}`,
    };
  }
  return { ok: true, url };
}

/** The offending text as it may be shown: trimmed, credentials removed, control characters escaped, cut short. */
function shown(text: string): string {
  const t = redactUrl(text.trim()).replace(
    /[\u0000-\u001f\u007f-\u009f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
  return t.length > 200 ? `${t.slice(0, 200)}…` : t;
}

function lineError(source: string, line: number, text: string, message: string): ListLineError {
  return { kind: 'error', source, line, text: shown(text), code: 'ERR_DL_LIST_LINE', message };
}

/**
 * Streams a URL list: one URL per line, `#` comments, blank lines, and aria2's indented `key=value` option
 * lines under a URL. A UTF-8 BOM and CRLF line ends are accepted. An entry is yielded once its option lines
 * are read. Never holds more than one entry in memory.
 */
export async function* parseList(
  input: Readable | AsyncIterable<string>,
  source: string,
): AsyncGenerator<SourceItem> {
  const lines: AsyncIterable<string> =
    'pipe' in input ? readline.createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY }) : input;
  let current: ListEntry | undefined;
  let n = 0;
  for await (let line of lines) {
    n++;
    if (n === 1 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.length > MAX_LINE) {
      yield lineError(
        source,
        n,
        line.slice(0, 200),
        `line too long (${line.length} characters, at most ${MAX_LINE})`,
      );
      continue;
    }
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    if (/[\u0000-\u0008\u000a-\u001f\u007f\ufffd]/.test(trimmed)) {
      yield lineError(source, n, trimmed, 'control characters or invalid UTF-8 in line');
      continue;
    }
    if (/^\s/.test(line)) {
      const eq = trimmed.indexOf('=');
      if (eq <= 0) {
        yield lineError(source, n, trimmed, `expected an aria2 option 'key=value': ${shown(trimmed)}`);
        continue;
      }
      if (!current) {
        yield lineError(source, n, trimmed, `option '${trimmed.slice(0, eq)}' before any URL`);
        continue;
      }
      const key = trimmed.slice(0, eq).trim();
      const value = trimmed.slice(eq + 1).trim();
      current.options[key] = value;
      if (key === 'out') current.out = value;
      else if (key === 'dir') current.dir = value;
      else if (key === 'checksum') {
        const m = /^([A-Za-z0-9-]+)=([0-9A-Fa-f]+)$/.exec(value);
        const algorithm = m ? ALGORITHMS[(m[1] ?? '').toLowerCase()] : undefined;
        if (!m || !algorithm || (m[2] ?? '').length !== HEX_LENGTH[algorithm]) {
          yield lineError(
            source,
            n,
            trimmed,
            `bad checksum '${value}': expected TYPE=HEX, e.g. sha-256=<64 hex digits>`,
          );
          continue;
        }
        current.checksum = { algorithm, hex: (m[2] ?? '').toLowerCase() };
      } else if (!KNOWN_OPTIONS.has(key)) {
        yield { kind: 'warning', source, line: n, message: `unknown aria2 option '${key}' ignored` };
      }
      continue;
    }
    if (current) yield current;
    current = undefined;
    const [first, ...mirrors] = trimmed.split('\t').filter((s) => s !== '');
    if (mirrors.length > 0) {
      yield {
        kind: 'warning',
        source,
        line: n,
        message: `${mirrors.length} mirror URI(s) after the first ignored`,
      };
    }
    current = { kind: 'entry', url: first ?? trimmed, source, line: n, options: {} };
  }
  if (current) yield current;
}
