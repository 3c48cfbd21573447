import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { BusyError } from '../errors.js';
import { fileError, symlinkError } from './file-error.js';
import { shownPath } from '../common/shown-path.js';
import { hash64Hex } from '../common/hash64.js';
import {
  CREATE_NEW,
  createSync,
  type FileId,
  openRegular,
  openRegularFd,
  specialFileError,
  WRITE_AT,
  WRITE_NEW,
} from './regular-open.js';

const { O_RDWR, O_CREAT, O_TRUNC, O_NOFOLLOW } = fs.constants;

/**
 * Throws unless `partPath` still names the file this run wrote (`id`) and holds `size` bytes: what was
 * counted (and hashed) is what gets the final name. Another writer that replaced, removed or cut the `.part`
 * is caught here; the lock (PartLock) is what keeps dlpool runs from writing into it at all.
 */
export function checkPart(partPath: string, id: FileId, size: number): void {
  let st: fs.Stats | undefined;
  try {
    st = fs.lstatSync(partPath, { throwIfNoEntry: false });
  } catch (err) {
    throw fileError(err, 'check', partPath);
  }
  const what =
    st === undefined
      ? 'was removed'
      : st.dev !== id.dev || st.ino !== id.ino
        ? 'was replaced by another file'
        : st.size !== size
          ? `holds ${st.size} bytes, not the ${size} received`
          : undefined;
  if (what !== undefined)
    throw new PartChangedError(`'${shownPath(partPath)}' ${what} while dlpool wrote it`);
}

/** The `.part` changed under this run (checkPart): its bytes are not the ones checked; it starts over. */
export class PartChangedError extends BusyError {
  constructor(message: string) {
    super(message);
    this.name = 'PartChangedError';
  }
}

/** Opens the `.part` file for writing at `offset` (0 truncates). Errors name the path. */
export async function openPart(
  partPath: string,
  offset: number,
  highWaterMark: number,
): Promise<{ ws: fs.WriteStream; id: FileId }> {
  const { fd, id } = await openRegularFd(partPath, offset > 0 ? WRITE_AT : WRITE_NEW);
  // The stream owns the descriptor from here and closes it when it ends or fails.
  return { ws: fs.createWriteStream('', { fd, start: offset, highWaterMark }), id };
}

/**
 * The `.part` of a segmented download, opened for positional writes: a fresh one is created empty and sized to
 * `total` (segments write into their place), a resumed one is opened as it is (its size was checked against
 * the saved state). Never through a symlink.
 */
export async function openPartHandle(
  partPath: string,
  fresh: boolean,
  total: number,
): Promise<{ fh: fsp.FileHandle; id: FileId }> {
  const opened = await openRegular(partPath, fresh ? O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW : WRITE_AT);
  try {
    if (fresh) await opened.fh.truncate(total);
  } catch (err) {
    await opened.fh.close().catch(() => {});
    throw fileError(err, 'size', partPath);
  }
  return opened;
}

/** Bytes actually on disk in the `.part` file: after a failed attempt this, not the bytes received, is the resume offset. */
export async function partSize(partPath: string): Promise<number> {
  try {
    const st = await fsp.lstat(partPath);
    return st.isFile() ? st.size : 0;
  } catch {
    return 0;
  }
}

/**
 * Renames the complete `.part` to its final name, giving it `mtimeMs` first (--remote-time), so the final name
 * never shows the local time. A time that cannot be set (a file system without them) leaves the local one.
 */
export async function commitPart(partPath: string, finalPath: string, mtimeMs?: number): Promise<void> {
  if (mtimeMs !== undefined) await fsp.utimes(partPath, mtimeMs / 1000, mtimeMs / 1000).catch(() => {});
  try {
    await fsp.rename(partPath, finalPath);
  } catch (err) {
    throw fileError(err, 'rename to', finalPath);
  }
}

/** Removes a `.part` file that holds nothing worth resuming. */
export async function discardPart(partPath: string): Promise<void> {
  await fsp.rm(partPath, { force: true }).catch(() => {});
}

/**
 * Existing regular file under the final name? Returns its size, or undefined.
 * Synchronous on purpose: a stat of a cached directory entry costs microseconds, while a thread-pool
 * round trip per file was a measured share of the small-file workload's main-thread time.
 */
export function existingSize(finalPath: string): number | undefined {
  let st: fs.Stats | undefined;
  try {
    st = fs.lstatSync(finalPath, { throwIfNoEntry: false });
  } catch (err) {
    throw fileError(err, 'check', finalPath);
  }
  if (st === undefined) return undefined;
  if (st.isFile()) return st.size;
  if (st.isSymbolicLink()) throw symlinkError(shownPath(finalPath));
  if (!st.isDirectory()) throw specialFileError(finalPath);
  throw fileError(Object.assign(new Error('not a regular file'), { code: 'EISDIR' }), 'write', finalPath);
}

/**
 * Writes a small body that is wholly in memory to `.part` and renames it, with synchronous calls: a few
 * syscalls on the page cache are cheaper than as many thread-pool round trips (2000 x 16 KiB measured
 * several times faster). Used only for bodies up to SMALL_BODY_BYTES, so the event loop is never held long.
 */
export function writeWholeSync(
  partPath: string,
  finalPath: string,
  chunks: Buffer[],
  mtimeMs?: number,
): void {
  // No checkPart here: create, write and rename run in one synchronous step under the lock, so another writer
  // could only act in the microseconds between two syscalls, a window an lstat before the rename would leave as
  // wide open, at the cost of two more syscalls per small file.
  writePart(partPath, chunks, mtimeMs, false);
  try {
    fs.renameSync(partPath, finalPath);
  } catch (err) {
    throw fileError(err, 'rename to', finalPath);
  }
}

/**
 * Writes `chunks` as the whole content of the `.part` file, with `mtimeMs` as its time when given (after the
 * last write, which would set it again); returns which file that is, and its size.
 */
export function writePartSync(
  partPath: string,
  chunks: Buffer[],
  mtimeMs?: number,
): { id: FileId; size: number } {
  return writePart(partPath, chunks, mtimeMs, true)!;
}

function writePart(
  partPath: string,
  chunks: Buffer[],
  mtimeMs: number | undefined,
  identify: boolean,
): { id: FileId; size: number } | undefined {
  const fd = createSync(partPath);
  try {
    const size = writeChunks(fd, chunks, mtimeMs);
    if (!identify) return undefined;
    const st = fs.fstatSync(fd);
    return { id: { dev: st.dev, ino: st.ino }, size };
  } catch (err) {
    throw fileError(err, 'write', partPath);
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes `chunks` from the start of `fd`, then gives it `mtimeMs` (after the last write, which would set it again). */
function writeChunks(fd: number, chunks: Buffer[], mtimeMs: number | undefined): number {
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const written = fs.writevSync(fd, chunks);
  // A regular file takes a writev whole unless the disk fills; write the rest so ENOSPC surfaces.
  if (written < total) fs.writeSync(fd, Buffer.concat(chunks).subarray(written));
  if (mtimeMs !== undefined) setTimesSync(fd, mtimeMs);
  return total;
}

/** What a body whole in memory is written under when it holds no lock: see publishWholeSync. */
export const TEMP_PREFIX = '.dlpool-part-';
/** dlpool's private names, as wholeTempOf makes them (the naming rules give no download such a name). */
export const TEMP_NAME = /^\.dlpool-part-[0-9a-f]{16}$/;

/** The private name of `finalPath`'s body in its folder: `.dlpool-part-` and a 64-bit hash of the name. */
export function wholeTempOf(finalPath: string): string {
  const slash = finalPath.lastIndexOf('/');
  return finalPath.slice(0, slash + 1) + TEMP_PREFIX + hash64Hex(finalPath.slice(slash + 1));
}

/**
 * Writes a complete body under `tempPath` (made only where nothing is) and renames it to `finalPath`, in one
 * synchronous step, so no other writer can ever see or change it half-written under either name. Returns
 * false when the private name was taken (another run writing the same name this instant, or one killed here)
 * or was gone at the rename: the caller then writes the `.part` under its lock. Any other failure removes the
 * private file and throws, naming the final name.
 */
export function publishWholeSync(
  tempPath: string,
  finalPath: string,
  chunks: Buffer[],
  mtimeMs: number | undefined,
): boolean {
  let fd: number;
  try {
    fd = fs.openSync(tempPath, CREATE_NEW, 0o666);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw fileError(err, 'write', finalPath);
  }
  try {
    writeChunks(fd, chunks, mtimeMs);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(tempPath, { force: true });
    throw fileError(err, 'write', finalPath);
  }
  fs.closeSync(fd);
  try {
    fs.renameSync(tempPath, finalPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    fs.rmSync(tempPath, { force: true });
    throw fileError(err, 'rename to', finalPath);
  }
  return true;
}

/**
 * A private file unchanged for this long is a killed run's: a live writer changes it last with its final write
 * and renames it microseconds later.
 */
export const TEMP_STALE_MS = 10_000;

/**
 * Removes what a run killed inside publishWholeSync left under `tempPath`: a regular file unchanged for
 * TEMP_STALE_MS. (One being written now must stay: removed, its name could take a third writer's file before
 * the rename that moves it.) What cannot be looked at or removed is left as it is: never an error.
 */
export function removeStaleTemp(tempPath: string): void {
  try {
    const st = fs.lstatSync(tempPath, { throwIfNoEntry: false });
    if (st?.isFile() && Date.now() - st.ctimeMs > TEMP_STALE_MS) fs.rmSync(tempPath, { force: true });
  } catch {}
}

/** The file's access and modification times (see commitPart); a time that cannot be set is left. */
function setTimesSync(fd: number, mtimeMs: number): void {
  try {
    fs.futimesSync(fd, mtimeMs / 1000, mtimeMs / 1000);
  } catch {}
}
