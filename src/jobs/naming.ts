import path from 'node:path';
import { UnsafeNameError } from '../errors.js';
import { HashedStringSet } from '../common/string-set.js';
import { OWN_DIR_NAME } from '../store/layout.js';
import { TEMP_PREFIX } from '../file/part-ops.js';

/**
 * The longest name we give: 255 UTF-8 bytes is what Linux, macOS and Windows all accept, less the
 * `.part.meta` suffix of the download's temporary files, which must fit too (a 255-byte name failed with
 * ENAMETOOLONG on its `.part`).
 */
export const MAX_NAME_BYTES = 255 - '.part.meta'.length;
/** An extension this short survives when a long name is cut. */
const MAX_KEPT_EXT_BYTES = 16;
/** Windows device names, reserved with any extension (`NUL.tar.gz`) and trailing spaces (`CON .txt`). */
const WINDOWS_RESERVED =
  /^(?:con|prn|aux|nul|com[0-9\u00b9\u00b2\u00b3]|lpt[0-9\u00b9\u00b2\u00b3]|conin\$|conout\$) *(?:\.|$)/i;
/** dlpool's own folder in the output directory (shard files): a download of that name would block it. */
const DLPOOL_FOLDER = OWN_DIR_NAME;
/** The private names bodies are written under before they take their own (see publishWholeSync). */
const DLPOOL_TEMP = new RegExp(`^${TEMP_PREFIX.replaceAll('.', '\\.')}`, 'i');
/** Also bidi embeddings, overrides and isolates and line separators: `\u202etxt.exe` must not show as `exe.txt`. */
const UNSAFE_CHARS = /[\x00-\x1f\x7f-\x9f/\\<>:"|?*\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/** Compressed tarballs keep their two-part extension together: `a.tar.gz` -> `a.1.tar.gz`. */
const DOUBLE_EXTENSION = /\.tar\.(?:gz|bz2|xz|zst)$/i;

/**
 * The URL path's last non-empty segment, percent-decoded, else `index.html`. The query is ignored.
 * Escapes that do not decode (`%zz`, `%E0%A4` cut short) are kept as written. The result is not yet safe:
 * pass it through sanitizeName.
 */
export function nameFromUrl(url: URL): string {
  const last = url.pathname
    .split('/')
    .filter((s) => s !== '')
    .at(-1);
  if (last === undefined) return 'index.html';
  return percentDecode(last) || 'index.html';
}

function percentDecode(text: string): string {
  return text.replace(/(?:%[0-9a-f]{2})+/gi, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return decodeLeniently(run);
    }
  });
}

/** Decodes each UTF-8 sequence in a run of `%XX` escapes that is valid, and keeps the others literally. */
function decodeLeniently(run: string): string {
  let out = '';
  let i = 0;
  next: while (i < run.length) {
    for (let bytes = 4; bytes >= 1; bytes--) {
      const piece = run.slice(i, i + 3 * bytes);
      if (piece.length < 3 * bytes) continue;
      try {
        out += decodeURIComponent(piece);
        i += piece.length;
        continue next;
      } catch {}
    }
    out += run.slice(i, i + 3);
    i += 3;
  }
  return out;
}

function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** The longest prefix of `text` of at most `max` UTF-8 bytes that ends on a code point boundary. */
function cutToBytes(text: string, max: number): string {
  if (utf8Length(text) <= max) return text;
  let bytes = 0;
  let end = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    const n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (bytes + n > max) break;
    bytes += n;
    end += ch.length;
  }
  return text.slice(0, end);
}

/** Windows drops trailing dots and spaces, so `a.` and `a` would be one file there. */
function trimEnds(text: string): string {
  return text.replace(/^ +/, '').replace(/[. ]+$/, '');
}

/**
 * One path component, safe on Linux, macOS and Windows:
 * - `/`, `\`, NUL, C0/C1 control characters, DEL, `<>:"|?*`, bidi embeddings, overrides and isolates, line
 *   separators and lone UTF-16 surrogates become `_`;
 * - leading and trailing spaces and trailing dots go;
 * - `.`, `..` and a name left empty become `_` (never `index.html`: that is a real name a URL may also have);
 * - Windows device names (`CON`, `nul.txt`, `LPT1.tar.gz`, ...), `.dlpool` and `.dlpool-part-*` get a `_` prefix;
 * - at most 245 UTF-8 bytes (255 less room for `.part.meta`), cut on a code point boundary, keeping an extension of up to 16 bytes.
 */
export function sanitizeName(name: string): string {
  let s = trimEnds(name.replace(LONE_SURROGATE, '_').replace(UNSAFE_CHARS, '_'));
  if (s === '') return '_';
  if (WINDOWS_RESERVED.test(s) || DLPOOL_FOLDER.test(s) || DLPOOL_TEMP.test(s)) s = `_${s}`;
  if (utf8Length(s) <= MAX_NAME_BYTES) return s;
  const dot = s.lastIndexOf('.');
  const ext = dot > 0 ? s.slice(dot) : '';
  if (ext !== '' && utf8Length(ext) <= MAX_KEPT_EXT_BYTES) {
    return cutToBytes(s.slice(0, dot), MAX_NAME_BYTES - utf8Length(ext)) + ext;
  }
  return trimEnds(cutToBytes(s, MAX_NAME_BYTES)) || '_';
}

function quote(text: string): string {
  const q = JSON.stringify(text);
  return q.length > 200 ? `${q.slice(0, 197)}..."` : q;
}

/** The components of a relative path given by the user, or UnsafeNameError naming `what` (e.g. `dir "../x"`). */
function relativeParts(text: string, what: string): string[] {
  if (/^[/\\]/.test(text) || /^[a-z]:/i.test(text)) {
    throw new UnsafeNameError(
      `${what}: absolute path not allowed; it must be relative to the output directory`,
    );
  }
  const parts = text.split(/[/\\]/).filter((p) => p !== '' && p !== '.');
  if (parts.includes('..'))
    throw new UnsafeNameError(`${what}: '..' not allowed; it must stay in the output directory`);
  return parts;
}

/**
 * aria2 `dir=` as a relative posix path (`''` for none): split on `/` and `\`, empty and `.` parts dropped,
 * every part sanitised. `..` parts, absolute paths and drive letters throw UnsafeNameError naming the input.
 */
export function sanitizeSubdir(dir: string): string {
  return relativeParts(dir, `dir ${quote(dir)}`)
    .map(sanitizeName)
    .join('/');
}

/**
 * targetPath's check without building the path: a relative path with no `.` or `..` component cannot leave the
 * directory it is joined to, so only other paths are resolved (two path.resolve calls per file showed in
 * allocation profiles of 2000 small files).
 */
export function checkInside(outDir: string, rel: string): void {
  if (rel !== '' && !path.isAbsolute(rel) && !/(^|[\\/])\.{1,2}([\\/]|$)/.test(rel)) return;
  targetPath(outDir, rel);
}

/**
 * `rel` resolved inside `outDir`. Throws UnsafeNameError when it would be `outDir` itself or outside it.
 * A lexical check; symbolic links below `outDir` are refused when the file is opened (DirMaker, O_NOFOLLOW).
 */
export function targetPath(outDir: string, rel: string): string {
  const root = path.resolve(outDir);
  const full = path.resolve(root, rel);
  // A prefix test rather than path.relative (which showed in per-file profiles); Windows compares paths
  // without regard to case.
  const prefix = root.endsWith(path.sep) ? root : root + path.sep;
  const fold = (p: string) => (path.sep === '\\' ? p.toLowerCase() : p);
  if (full.length <= prefix.length || !fold(full).startsWith(fold(prefix))) {
    throw new UnsafeNameError(`path ${quote(rel)} escapes the output directory ${root}`);
  }
  return full;
}

/**
 * The relative output path (posix separators) of an entry: `dir=` (sanitised) joined with the `out=` name, or
 * else the URL's name, sanitised. An `out=` with `/` or `\` is a sub-directory plus a name (`out=a/b.txt`), with
 * the same rules as `dir=`; an `out=` ending in a separator names no file and throws UnsafeNameError.
 */
export function relativeName(entry: {
  url: URL;
  out?: string | undefined;
  dir?: string | undefined;
}): string {
  const parts: string[] = [];
  if (entry.dir) parts.push(sanitizeSubdir(entry.dir));
  const out = entry.out;
  if (out !== undefined && out !== '') parts.push(givenPath(out, `out ${quote(out)}`));
  else parts.push(sanitizeName(nameFromUrl(entry.url)));
  return parts.filter((p) => p !== '').join('/');
}

/** A file path given by the user (`out=`, a settled name): sub-directories and a name, each part sanitised. */
function givenPath(text: string, what: string): string {
  const parts = relativeParts(text, what);
  const last = text.split(/[/\\]/).at(-1);
  const name = parts.pop();
  if (name === undefined || last === '' || last === '.') {
    throw new UnsafeNameError(`${what}: names no file (it ends with a separator or '.')`);
  }
  return [...parts.map(sanitizeName), sanitizeName(name)].filter((p) => p !== '').join('/');
}

/**
 * A relative path given as final, not to be named again (a name settled before the run, a library caller's
 * `settledName`): kept only if the rules for `out=` leave it exactly as it is, i.e. it is a name dlpool itself
 * gives; else UnsafeNameError naming it. Never renamed instead: a settled name that changed would no longer be
 * the one the rest of the list was named around, and could take another entry's name.
 */
export function settledName(rel: string): string {
  const what = `settled name ${quote(rel)}`;
  const safe = givenPath(rel, what);
  if (safe !== rel)
    throw new UnsafeNameError(`${what}: not a name dlpool gives (the name rules make it ${quote(safe)})`);
  return rel;
}

/** `a.tar.gz` -> [`a`, `.tar.gz`]; `a.b.bin` -> [`a.b`, `.bin`]; `.bashrc` and `noext` -> [name, ``]. */
function splitExtension(name: string): [string, string] {
  const dbl = DOUBLE_EXTENSION.exec(name);
  if (dbl && dbl.index > 0) return [name.slice(0, dbl.index), name.slice(dbl.index)];
  const dot = name.lastIndexOf('.');
  return dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
}

/** `stem.N.ext`, with the stem cut so the name stays within MAX_NAME_BYTES. */
function withSuffix(stem: string, ext: string, n: number): string {
  const tail = `.${n}${ext}`;
  const room = MAX_NAME_BYTES - utf8Length(tail);
  if (room >= 1) return cutToBytes(stem, room) + tail;
  return `${cutToBytes(stem + ext, MAX_NAME_BYTES - utf8Length(`.${n}`))}.${n}`;
}

/** Names compare as they would on a case-insensitive, normalising file system (macOS, Windows). */
function key(rel: string): string {
  return rel.normalize('NFC').toLowerCase();
}

/** Hands out final names; the registry itself, or (in a worker thread) a proxy to the main thread's. */
export interface NameClaimer {
  claim(rel: string): string | Promise<string>;
  /**
   * A name a server offered (--content-disposition) for download `id`, claimed in list order: see
   * OfferedNames. `undefined` (only without `wait`) when an earlier download has yet to claim.
   */
  claimOffered(id: number, rel: string, wait: boolean): string | undefined | Promise<string | undefined>;
}

/**
 * The relative paths taken in one run. The first claimant of a path gets it; later ones get a suffix before
 * the extension, counting up in claim order (list order), so a rerun names files the same way:
 * `file.bin` -> `file.1.bin`, `file.2.bin`; `archive.tar.gz` -> `archive.1.tar.gz` (the `.tar.gz`, `.tar.bz2`,
 * `.tar.xz` and `.tar.zst` double extensions stay together); `name` -> `name.1`; `.bashrc` -> `.bashrc.1`.
 *
 * - Claiming `X` also reserves `X.part`, the download's temporary file, and `X.part` counts as taken when `X`
 *   is (and the other way round).
 * - Names differing only in case or Unicode normalisation collide, as they do on macOS and Windows, so a list
 *   gives the same files on every platform.
 * - A file name that is already a directory of this run is suffixed; a directory where this run put a file
 *   throws UnsafeNameError.
 *
 * Memory: one 64-bit hash per claim and a counter per name that collided. 1,000,000 names like `f0000001.bin`
 * take 16 MiB outside the heap (their bytes and an index would take 26 MiB); as one `Set` entry each they would
 * take 51 MiB of heap, and 172 MiB with `.part` and `.part.meta` stored too.
 */
export class NameRegistry {
  /**
   * Keys of the files claimed, and of their folders with a trailing `/`. `X.part` and `X.part.meta` are derived
   * from `X` when checking, not stored: one 64-bit hash per claim, off the JS heap (HashedStringSet).
   */
  readonly #taken = new HashedStringSet();
  /** Next suffix to try, per colliding name, so 10,000 `index.html` do not rescan 1..n each time. */
  readonly #next = new Map<string, number>();

  claim(rel: string): string {
    const slash = rel.lastIndexOf('/');
    const dir = rel.slice(0, slash + 1);
    this.#checkDirs(rel, dir);
    let candidate = rel;
    if (!this.#isFree(candidate)) {
      const k = key(rel);
      const [stem, ext] = splitExtension(rel.slice(slash + 1));
      let n = this.#next.get(k) ?? 1;
      do candidate = dir + withSuffix(stem, ext, n++);
      while (!this.#isFree(candidate));
      this.#next.set(k, n);
    }
    this.#taken.add(key(candidate));
    for (let i = dir.indexOf('/'); i >= 0; i = dir.indexOf('/', i + 1))
      this.#taken.add(`${key(dir.slice(0, i))}/`);
    return candidate;
  }

  /** Is `k` a claimed file, or the `.part` / `.part.meta` of one? */
  #reserved(k: string): boolean {
    if (this.#taken.has(k)) return true;
    if (k.endsWith('.part')) return this.#taken.has(k.slice(0, -'.part'.length));
    if (k.endsWith('.part.meta')) return this.#taken.has(k.slice(0, -'.part.meta'.length));
    return false;
  }

  #isFree(rel: string): boolean {
    const k = key(rel);
    // Taken: the name itself (or it is another file's temporary), its own temporaries as names of this run,
    // or the name (or `NAME.part`, which would block the temporary file) as a directory of this run.
    return (
      !this.#reserved(k) &&
      !this.#taken.has(`${k}.part`) &&
      !this.#taken.has(`${k}.part.meta`) &&
      !this.#taken.has(`${k}/`) &&
      !this.#taken.has(`${k}.part/`)
    );
  }

  #checkDirs(rel: string, dir: string): void {
    for (let i = dir.indexOf('/'); i >= 0; i = dir.indexOf('/', i + 1)) {
      const prefix = dir.slice(0, i);
      if (this.#reserved(key(prefix))) {
        throw new UnsafeNameError(
          `${quote(rel)} needs a directory ${quote(prefix)}, but that is a file of this run`,
        );
      }
    }
  }
}
