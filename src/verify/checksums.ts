import crypto from 'node:crypto';
import fs from 'node:fs';
import readline from 'node:readline';
import { DlpoolError, errnoOf } from '../errors.js';

export interface Expected {
  algorithm: string;
  hex: string;
}

export interface ChecksumEntry extends Expected {
  /** The name as written in the file (relative to the directory it describes). */
  name: string;
  line: number;
}

export interface ChecksumProblem {
  line: number;
  message: string;
}

/** Untagged lines: the algorithm follows from the digest's length, as `sha256sum -c` and friends assume. */
const BY_LENGTH: Record<number, string> = {
  32: 'md5',
  40: 'sha1',
  56: 'sha224',
  64: 'sha256',
  96: 'sha384',
  128: 'sha512',
};
/** BSD tags (`SHA256 (name) = hex`, as `sha256sum --tag` and `shasum --tag` write them) -> node:crypto names. */
const TAGS: Record<string, string> = {
  MD5: 'md5',
  SHA1: 'sha1',
  SHA224: 'sha224',
  SHA256: 'sha256',
  SHA384: 'sha384',
  SHA512: 'sha512',
  'SHA512/256': 'sha512-256',
  BLAKE2B: 'blake2b512',
  'BLAKE2B-512': 'blake2b512',
  SM3: 'sm3',
};

/** coreutils escapes names holding `\` or a newline: the line starts with `\` and the name uses `\\` and `\n`. */
function unescapeName(name: string): string {
  return name.replace(/\\(\\|n|r)/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : '\\'));
}

export function escapeName(name: string): { escaped: boolean; name: string } {
  if (!/[\\\n\r]/.test(name)) return { escaped: false, name };
  return { escaped: true, name: name.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r') };
}

/** One line of a checksum file, GNU (`HEX  NAME`, `HEX *NAME`, escaped form) or BSD tag format. */
export function parseChecksumLine(raw: string, line: number): ChecksumEntry | ChecksumProblem | undefined {
  let text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '' || text.startsWith('#')) return undefined;
  const escaped = text.startsWith('\\');
  const body = escaped ? text.slice(1) : text;
  const bsd = /^([A-Za-z0-9/-]+) ?\((.*)\) ?= ?([0-9A-Fa-f]+)$/.exec(body);
  if (bsd) {
    const algorithm = TAGS[(bsd[1] ?? '').toUpperCase()];
    if (!algorithm || !crypto.getHashes().includes(algorithm)) {
      return { line, message: `unknown checksum tag '${bsd[1]}'` };
    }
    const name = escaped ? unescapeName(bsd[2] ?? '') : (bsd[2] ?? '');
    return { name, line, algorithm, hex: (bsd[3] ?? '').toLowerCase() };
  }
  const gnu = /^([0-9A-Fa-f]+) [ *](.+)$/.exec(body);
  if (gnu) {
    const hex = (gnu[1] ?? '').toLowerCase();
    const algorithm = BY_LENGTH[hex.length];
    if (!algorithm)
      return { line, message: `a digest of ${hex.length} hex digits matches no known algorithm` };
    const name = escaped ? unescapeName(gnu[2] ?? '') : (gnu[2] ?? '');
    return { name, line, algorithm, hex };
  }
  return { line, message: 'not a checksum line (expected "HEX  NAME" or "ALGO (NAME) = HEX")' };
}

/** Reads a whole checksum file (they are small: one line per file). Unreadable -> ERR_DL_INPUT. */
export async function readChecksumFile(
  file: string,
): Promise<{ entries: ChecksumEntry[]; problems: ChecksumProblem[] }> {
  let stream: fs.ReadStream;
  try {
    const fd = await fs.promises.open(file, 'r');
    if ((await fd.stat()).isDirectory()) {
      await fd.close();
      throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    }
    stream = fd.createReadStream();
  } catch (err) {
    const reason = errnoOf(err) ?? (err instanceof Error ? err.message : String(err));
    throw new DlpoolError('ERR_DL_INPUT', `cannot read checksum file '${file}': ${reason}`, { cause: err });
  }
  const entries: ChecksumEntry[] = [];
  const problems: ChecksumProblem[] = [];
  let n = 0;
  for await (const raw of readline.createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })) {
    n++;
    const parsed = parseChecksumLine(raw, n);
    if (parsed === undefined) continue;
    if ('name' in parsed) entries.push(parsed);
    else problems.push(parsed);
  }
  return { entries, problems };
}

/** Names in a checksum file are paths relative to the directory; `./a` and `a` are the same entry. */
export function normalizeSumsName(name: string): string {
  return name.replace(/^(\.\/)+/, '');
}

/** A coreutils-format line for `sha256sum -c` (and its siblings for other algorithms). */
export function manifestLine(hex: string, name: string): string {
  const e = escapeName(name);
  return `${e.escaped ? '\\' : ''}${hex}  ${e.name}\n`;
}
