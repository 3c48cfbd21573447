import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { DlpoolError, UsageError } from '../errors.js';
import { reasonOf } from '../errno-text.js';
import { algorithmByTag, type HashAlgorithm, isUsableHash, untaggedAlgorithm } from '../hash/algorithms.js';
import { capLines, linesOf } from '../common/lines.js';

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

/** coreutils escapes names holding `\` or a newline: the line starts with `\` and the name uses `\\` and `\n`. */
function unescapeName(name: string): string {
  return name.replace(/\\(\\|n|r)/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : '\\'));
}

export function escapeName(name: string): { escaped: boolean; name: string } {
  if (!/[\\\n\r]/.test(name)) return { escaped: false, name };
  return { escaped: true, name: name.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r') };
}

/** Are the first `n` characters of `s` hex digits? */
function isHex(s: string, n: number): boolean {
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    const lower = c | 0x20; // A-F to a-f
    if (!((c >= 0x30 && c <= 0x39) || (lower >= 0x61 && lower <= 0x66))) return false;
  }
  return true;
}

/** Lower-cased hex digits, the string itself when it already is (the usual case: no new string). */
function lowerHex(hex: string): string {
  return /[A-F]/.test(hex) ? hex.toLowerCase() : hex;
}

/**
 * One line of a checksum file, GNU (`HEX  NAME`, `HEX *NAME`, escaped form) or BSD tag format. A GNU line
 * names no algorithm: it is `untagged` when its digest has that length (the `--hash` given, as `cksum -a`
 * reads untagged lines), else the coreutils default for the length (sha256 for 64 digits, as `sha256sum -c`).
 */
export function parseChecksumLine(
  raw: string,
  line: number,
  untagged?: HashAlgorithm,
): ChecksumEntry | ChecksumProblem | undefined {
  let text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '' || text.startsWith('#')) return undefined;
  const escaped = text.startsWith('\\');
  const body = escaped ? text.slice(1) : text;
  // GNU lines first, without a regular expression's match: they are nearly all of a big file (a million
  // lines must not cost a million match arrays), and no BSD tag is made of hex digits only.
  const sp = body.indexOf(' ');
  const mark = body.charCodeAt(sp + 1);
  if (sp > 0 && (mark === 0x20 || mark === 0x2a) && sp + 2 < body.length && isHex(body, sp)) {
    const hex = lowerHex(body.slice(0, sp));
    const algorithm = untaggedAlgorithm(hex.length, untagged);
    if (!algorithm)
      return { line, message: `a digest of ${hex.length} hex digits matches no known algorithm` };
    if (!isUsableHash(algorithm.name)) return { line, message: cannotCompute(algorithm.name) };
    const raw = body.slice(sp + 2);
    return { name: escaped ? unescapeName(raw) : raw, line, algorithm: algorithm.name, hex };
  }
  const bsd = /^([A-Za-z0-9/-]+) ?\((.*)\) ?= ?([0-9A-Fa-f]+)$/.exec(body);
  if (bsd) {
    const algorithm = algorithmByTag(bsd[1] ?? '');
    if (!algorithm) return { line, message: `unknown checksum tag '${bsd[1]}'` };
    if (!isUsableHash(algorithm.name)) return { line, message: cannotCompute(algorithm.name) };
    const hex = bsd[3] ?? '';
    if (hex.length !== algorithm.hexLength) {
      return { line, message: `${bsd[1]} needs ${algorithm.hexLength} hex digits, not ${hex.length}` };
    }
    const name = escaped ? unescapeName(bsd[2] ?? '') : (bsd[2] ?? '');
    return { name, line, algorithm: algorithm.name, hex: hex.toLowerCase() };
  }
  return { line, message: 'not a checksum line (expected "HEX  NAME" or "ALGO (NAME) = HEX")' };
}

function cannotCompute(algorithm: string): string {
  return `${algorithm} cannot be computed here (this Node's crypto has no ${algorithm})`;
}

/**
 * The lines of a checksum file, in file order, read as a stream of batches (one per chunk read): a file of a
 * million lines is never held whole (each line is capped like a list line). Opened up front, so an
 * unreadable file fails (ERR_DL_INPUT) before any work starts; the returned generator then only reads.
 * `checksumLines` parses them.
 */
export async function openChecksumFile(
  file: string,
  stdin?: Readable,
): Promise<AsyncGenerator<string[], void, undefined>> {
  // `-` is standard input, as `sha256sum -c -` reads it (the library reads none of its own).
  if (file === '-') {
    if (!stdin) throw new UsageError("sums: '-' (standard input) needs the stdin option");
    return linesOf(capLines(stdin));
  }
  let fh: fs.promises.FileHandle | undefined;
  try {
    fh = await fs.promises.open(file, 'r');
    if ((await fh.stat()).isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
  } catch (err) {
    await fh?.close();
    throw unreadable(file, err);
  }
  return readLines(fh, file);
}

function unreadable(file: string, err: unknown): DlpoolError {
  return new DlpoolError('ERR_DL_INPUT', `cannot read checksum file '${file}': ${reasonOf(err)}`, {
    cause: err,
  });
}

async function* readLines(
  fh: fs.promises.FileHandle,
  file: string,
): AsyncGenerator<string[], void, undefined> {
  try {
    yield* linesOf(capLines(fh.createReadStream({ highWaterMark: 256 * 1024 })));
  } catch (err) {
    throw err instanceof DlpoolError ? err : unreadable(file, err);
  } finally {
    await fh.close().catch(() => {});
  }
}

/**
 * Every line of `batches` (from openChecksumFile) parsed, numbered from 1, handed to `each` as it is parsed:
 * with a million lines, no parsed line lives longer than its call (measured: holding a batch of them across a
 * turn raised the peak RSS of `get -c` by 20-30 MB).
 */
export async function checksumLines(
  batches: AsyncIterable<string[]>,
  each: (parsed: ChecksumEntry | ChecksumProblem) => void,
  untagged?: HashAlgorithm,
): Promise<void> {
  let n = 0;
  for await (const batch of batches) {
    for (const raw of batch) {
      const parsed = parseChecksumLine(raw, ++n, untagged);
      if (parsed !== undefined) each(parsed);
    }
  }
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
