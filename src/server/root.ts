import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { UsageError } from '../errors.js';

// The callback API on plain descriptors: per request, a stat, an open, an fstat and a readlink cost about what one
// open and fstat of a FileHandle did (measured ~55 against ~51 us of CPU; through FileHandles, ~90).
const stat = promisify(fs.stat);
const open = promisify(fs.open);
const fstat = promisify(fs.fstat);
const readlink = promisify(fs.readlink);
const realpath = promisify(fs.realpath);

/** The folder `dlpool serve --root` serves, resolved once at start-up. */
export interface ServedRoot {
  /** As given, made absolute: a request is confined to it before anything is looked up. */
  dir: string;
  /** With every link resolved: where each opened file must really be. */
  real: string;
  /** Serve names that start with `.`, and what is under folders so named. */
  dotfiles: boolean;
}

export async function servedRoot(dir: string, dotfiles: boolean): Promise<ServedRoot> {
  const abs = path.resolve(dir);
  const st = await fsp.stat(abs).catch(() => undefined);
  if (!st?.isDirectory()) throw new UsageError(`root: not a directory: ${abs}`);
  return { dir: abs, real: await fsp.realpath(abs), dotfiles };
}

/** `p` relative to `dir` if it is `dir` or under it, else undefined. Names such as `..x` are inside. */
function relativeInside(dir: string, p: string): string | undefined {
  const rel = path.relative(dir, p);
  if (rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) return undefined;
  return rel;
}

/** Does a component of `rel` start with `.` (`.git/config`, `a/.env`)? */
function isHidden(rel: string): boolean {
  return rel.split(path.sep).some((c) => c.startsWith('.'));
}

/**
 * Where an open file really is. Linux names the file behind a descriptor, so a link swapped into the path after
 * the open cannot mislead this; elsewhere the path is resolved again (a swap between the open and that check
 * goes unseen there).
 */
async function whereOpened(fd: number, target: string): Promise<string | undefined> {
  try {
    return await readlink(`/proc/self/fd/${fd}`);
  } catch {
    return realpath(target).catch(() => undefined);
  }
}

/**
 * Opens the regular file that URL path `rawPath` names under `root`, or gives undefined (the caller answers 404,
 * as for a missing file, so refused names cannot be told from absent ones) when the path:
 * - leaves the root, spelled `..`, `%2e%2e`, `..%2f` or as an absolute path (checked before any lookup), or
 *   ends in `/` (a folder);
 * - holds a hidden component, as asked or once links are resolved, unless `root.dotfiles`;
 * - is a link, or goes through one, to somewhere outside the root (links that stay inside are followed);
 * - is not a regular file: a FIFO, socket or device is never opened (stat first), and the open itself is
 *   non-blocking and checked with fstat (as openRegularFd in src/file/regular-open.ts, whose stat is not returned), so
 *   one swapped in after the stat is refused too, never waited on.
 * The caller owns the descriptor.
 */
export async function openUnderRoot(
  root: ServedRoot,
  rawPath: string,
): Promise<{ fd: number; stat: fs.Stats } | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return undefined;
  }
  // A trailing slash asks for a folder, and folders are not listed (path.resolve would drop the slash).
  if (decoded.includes('\0') || decoded.endsWith('/')) return undefined;
  // Decoded before resolving, so `/%2e%2e/x` is confined exactly like `/../x`.
  const target = path.resolve(root.dir, `.${path.sep}${decoded}`);
  const asked = relativeInside(root.dir, target);
  if (asked === undefined || (!root.dotfiles && isHidden(asked))) return undefined;
  const before = await stat(target).catch(() => undefined);
  if (!before?.isFile()) return undefined;
  // O_NOCTTY: a terminal swapped in after the stat must not become the server's controlling terminal.
  const { O_RDONLY, O_NONBLOCK, O_NOCTTY } = fs.constants;
  const fd = await open(target, O_RDONLY | O_NONBLOCK | O_NOCTTY).catch(() => undefined);
  if (fd === undefined) return undefined;
  try {
    const st = await fstat(fd);
    const real = st.isFile() ? await whereOpened(fd, target) : undefined;
    const rel = real === undefined ? undefined : relativeInside(root.real, real);
    if (rel !== undefined && (root.dotfiles || !isHidden(rel))) return { fd, stat: st };
  } catch {
    // Treated as not found, below.
  }
  fs.close(fd, () => {});
  return undefined;
}
