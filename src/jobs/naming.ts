import path from 'node:path';
import { UnsafeNameError } from '../errors.js';

const MAX_NAME_BYTES = 255;
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[1-9]|lpt[1-9])(\..*)?$/i;
const DOUBLE_EXTENSIONS = /\.tar\.(gz|bz2|xz|zst|lz|lzma|z)$/i;

/** The URL path's last non-empty segment, percent-decoded (bad escapes kept as they are), else `index.html`. */
export function nameFromUrl(url: URL): string {
  const segments = url.pathname.split('/').filter((s) => s !== '');
  const last = segments.at(-1);
  if (last === undefined) return 'index.html';
  let decoded: string;
  try {
    decoded = decodeURIComponent(last);
  } catch {
    decoded = last;
  }
  return decoded === '' ? 'index.html' : decoded;
}

function cutToBytes(text: string, max: number): string {
  if (Buffer.byteLength(text) <= max) return text;
  let out = '';
  let bytes = 0;
  for (const ch of text) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > max) break;
    out += ch;
    bytes += n;
  }
  return out;
}

/**
 * One path component, safe on Linux, macOS and Windows: separators, NUL, control characters and
 * `<>:"|?*` become `_`; leading/trailing spaces and trailing dots go; `.`, `..` and empty become `_`;
 * Windows device names get a `_` prefix; at most 255 UTF-8 bytes, keeping a short extension.
 */
export function sanitizeName(name: string): string {
  let s = name.replace(/[/\\\u0000-\u001f\u007f-\u009f<>:"|?*]/g, '_');
  s = s.replace(/^ +/, '').replace(/[ .]+$/, '');
  if (s === '' || s === '.' || s === '..') return '_';
  if (WINDOWS_RESERVED.test(s)) s = `_${s}`;
  if (Buffer.byteLength(s) > MAX_NAME_BYTES) {
    const ext = path.extname(s);
    const keep = ext !== '' && Buffer.byteLength(ext) <= 16 ? ext : '';
    s = cutToBytes(s.slice(0, s.length - keep.length), MAX_NAME_BYTES - Buffer.byteLength(keep)) + keep;
  }
  return s;
}

/** `dir=` (or the folder part of `out=`) as a relative posix path; `..` and absolute paths are refused. */
export function sanitizeSubdir(dir: string): string {
  if (/^([/\\]|[A-Za-z]:)/.test(dir))
    throw new UnsafeNameError(`absolute path not allowed: ${JSON.stringify(dir)}`);
  const parts: string[] = [];
  for (const part of dir.split(/[/\\]/)) {
    if (part === '' || part === '.') continue;
    if (part === '..') throw new UnsafeNameError(`'..' not allowed in a path: ${JSON.stringify(dir)}`);
    parts.push(sanitizeName(part));
  }
  return parts.join('/');
}

/** Absolute path of `rel` inside `outDir`; throws if it would land outside. */
export function targetPath(outDir: string, rel: string): string {
  const root = path.resolve(outDir);
  const full = path.resolve(root, rel);
  if (full === root || !full.startsWith(root + path.sep)) {
    throw new UnsafeNameError(`path escapes the output directory: ${JSON.stringify(rel)}`);
  }
  return full;
}

/** The relative output path of an entry: `dir=` + (`out=` or the URL's name), every part sanitised. */
export function relativeName(entry: {
  url: URL;
  out?: string | undefined;
  dir?: string | undefined;
}): string {
  const parts: string[] = [];
  if (entry.dir) parts.push(sanitizeSubdir(entry.dir));
  if (entry.out !== undefined) {
    const split = entry.out.split(/[/\\]/);
    const base = split.pop() ?? '';
    if (split.length > 0) parts.push(sanitizeSubdir(split.join('/')));
    if (base === '') throw new UnsafeNameError(`out= names no file: ${JSON.stringify(entry.out)}`);
    parts.push(sanitizeName(base));
  } else {
    parts.push(sanitizeName(nameFromUrl(entry.url)));
  }
  return parts.filter((p) => p !== '').join('/');
}

/** `a.tar.gz` -> [`a`, `.tar.gz`]; `a.bin` -> [`a`, `.bin`]; `.bashrc` -> [`.bashrc`, ``]. */
function splitExtension(name: string): [string, string] {
  const dbl = DOUBLE_EXTENSIONS.exec(name);
  if (dbl && dbl.index > 0) return [name.slice(0, dbl.index), name.slice(dbl.index)];
  const ext = path.posix.extname(name);
  return ext === '' ? [name, ''] : [name.slice(0, -ext.length), ext];
}

/**
 * The names taken in this run. The first claimant of a path gets it; later ones get `stem.1.ext`,
 * `stem.2.ext`, ... in claim order (list order), so reruns name files the same way. Claiming `X` also
 * reserves `X.part`, so no final name can collide with another download's temporary file.
 */
export class NameRegistry {
  private readonly taken = new Set<string>();

  claim(rel: string): string {
    let candidate = rel;
    if (this.isTaken(candidate)) {
      const dir = path.posix.dirname(rel);
      const [stem, ext] = splitExtension(path.posix.basename(rel));
      for (let n = 1; ; n++) {
        const name = `${stem}.${n}${ext}`;
        candidate = dir === '.' ? name : `${dir}/${name}`;
        if (!this.isTaken(candidate)) break;
      }
    }
    this.taken.add(candidate);
    return candidate;
  }

  private isTaken(rel: string): boolean {
    return (
      this.taken.has(rel) ||
      this.taken.has(`${rel}.part`) ||
      (rel.endsWith('.part') && this.taken.has(rel.slice(0, -5)))
    );
  }
}
