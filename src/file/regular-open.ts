/**
 * Opening files without following a symbolic link and without blocking on a FIFO: only regular files are
 * opened, and failures name the path. The `.part` operations (part-ops.ts) and dlpool's own files use these.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { UnsafeNameError } from '../errors.js';
import { fileError, symlinkError } from './file-error.js';
import { shownPath } from '../common/shown-path.js';

const { O_WRONLY, O_RDONLY, O_RDWR, O_CREAT, O_TRUNC, O_NOFOLLOW, O_NONBLOCK, O_EXCL } = fs.constants;
/** A file where nothing was: the kernel creates a regular file or fails (EEXIST); no link is followed. */
export const CREATE_NEW = O_WRONLY | O_CREAT | O_EXCL;
/** Open flags that refuse a symbolic link in the last component (ELOOP): dlpool never writes through one. */
export const WRITE_NEW = O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW;
export const WRITE_AT = O_RDWR | O_NOFOLLOW;
/** Reads dlpool's own small files (`NAME.part.meta`): never through a symbolic link. */
export const READ_OWN = O_RDONLY | O_NOFOLLOW;

export function specialFileError(
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
