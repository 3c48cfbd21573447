import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { BusyError, UnsafeNameError } from '../errors.js';
import { fileError, symlinkError } from './file-error.js';
import { shownPath } from './shown.js';

const { O_WRONLY, O_RDONLY, O_RDWR, O_CREAT, O_TRUNC, O_NOFOLLOW, O_NONBLOCK, O_EXCL } = fs.constants;
/** A file where nothing was: the kernel creates a regular file or fails (EEXIST); no link is followed. */
const CREATE_NEW = O_WRONLY | O_CREAT | O_EXCL;
/** Open flags that refuse a symbolic link in the last component (ELOOP): dlpool never writes through one. */
export const WRITE_NEW = O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW;
const WRITE_AT = O_RDWR | O_NOFOLLOW;
/** Reads dlpool's own small files (`NAME.part.meta`): never through a symbolic link. */
export const READ_OWN = O_RDONLY | O_NOFOLLOW;

function specialFileError(
  p: string,
  what = 'not a regular file (a FIFO, socket or device)',
): UnsafeNameError {
  return new UnsafeNameError(`'${shownPath(p)}' is ${what}; dlpool only writes regular files (remove it)`);
}

/**
 * Maps an open's failure: ELOOP from O_NOFOLLOW is a symbolic link, ENXIO from O_NONBLOCK a FIFO nobody reads
 * (or a device without its driver): both unsafe names. Other errors name the path as usual.
 */
function openError(err: unknown, action: string, p: string) {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ELOOP') return symlinkError(shownPath(p));
  if (code === 'ENXIO' || code === 'ENODEV') return specialFileError(p);
  return fileError(err, action, p);
}

/**
 * Opens `p` without ever blocking and only if it is a regular file. A plain open of a FIFO waits for the other
 * end for ever (synchronously: the event loop, and with it Ctrl-C, would hang); O_NONBLOCK makes it fail
 * (ENXIO) or return at once, and fstat then refuses whatever is not a regular file (FIFO, socket, device).
 * O_NONBLOCK changes nothing for a regular file.
 */
export function openRegularSync(p: string, flags: number, action = 'open'): number {
  let fd: number;
  try {
    fd = fs.openSync(p, flags | O_NONBLOCK, 0o666);
  } catch (err) {
    throw openError(err, action, p);
  }
  let regular = false;
  try {
    regular = fs.fstatSync(fd).isFile();
  } finally {
    if (!regular) fs.closeSync(fd);
  }
  if (!regular) throw specialFileError(p);
  return fd;
}

/**
 * Opens `p` as a new, empty regular file for writing. The usual case, nothing at `p`, takes one open with
 * O_EXCL, which can only create a regular file, so no fstat is needed (a measured share of the per-file cost);
 * when something is there (a `.part` of an earlier run, or a FIFO, a link) the checked open decides.
 */
export function createSync(p: string): number {
  try {
    return fs.openSync(p, CREATE_NEW | O_NONBLOCK, 0o666);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw openError(err, 'write', p);
  }
  return openRegularSync(p, WRITE_NEW, 'write');
}

/** Which file a descriptor is: the `.part` path must still name it when it is renamed. */
export interface FileId {
  dev: number;
  ino: number;
}

/**
 * openRegularSync for the event loop, as a plain descriptor (a stream takes it over; a FileHandle would close
 * it when collected), with the file's identity.
 */
export async function openRegularFd(p: string, flags: number): Promise<{ fd: number; id: FileId }> {
  const fd = await new Promise<number>((resolve, reject) =>
    fs.open(p, flags | O_NONBLOCK, 0o666, (err, fd) =>
      err ? reject(openError(err, 'open', p)) : resolve(fd),
    ),
  );
  const st = await new Promise<fs.Stats | undefined>((resolve) =>
    fs.fstat(fd, (err, st) => resolve(err ? undefined : st)),
  );
  if (!st?.isFile()) {
    fs.close(fd, () => {});
    throw specialFileError(p);
  }
  return { fd, id: { dev: st.dev, ino: st.ino } };
}

/** openRegularSync for the event loop, as a FileHandle, with the file's identity. */
export async function openRegular(p: string, flags: number): Promise<{ fh: fsp.FileHandle; id: FileId }> {
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(p, flags | O_NONBLOCK, 0o666);
  } catch (err) {
    throw openError(err, 'open', p);
  }
  let st: fs.Stats | undefined;
  try {
    st = await fh.stat();
  } finally {
    if (!st?.isFile()) await fh.close().catch(() => {});
  }
  if (!st.isFile()) throw specialFileError(p);
  return { fh, id: { dev: st.dev, ino: st.ino } };
}

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

/** Data arrives in `NAME.part`; only a complete (and, later, verified) file is renamed to `NAME`. */
export function partPathOf(finalPath: string): string {
  return `${finalPath}.part`;
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
  const { id, size } = writePartSync(partPath, chunks, mtimeMs);
  checkPart(partPath, id, size);
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
  const fd = createSync(partPath);
  try {
    const total = chunks.reduce((n, c) => n + c.length, 0);
    const written = fs.writevSync(fd, chunks);
    // A regular file takes a writev whole unless the disk fills; write the rest so ENOSPC surfaces.
    if (written < total) fs.writeSync(fd, Buffer.concat(chunks).subarray(written));
    if (mtimeMs !== undefined) setTimesSync(fd, mtimeMs);
    const st = fs.fstatSync(fd);
    return { id: { dev: st.dev, ino: st.ino }, size: total };
  } catch (err) {
    throw fileError(err, 'write', partPath);
  } finally {
    fs.closeSync(fd);
  }
}

/** The file's access and modification times (see commitPart); a time that cannot be set is left. */
function setTimesSync(fd: number, mtimeMs: number): void {
  try {
    fs.futimesSync(fd, mtimeMs / 1000, mtimeMs / 1000);
  } catch {}
}
