import { errnoOf } from './errors.js';

/** What a system error code means, in the words coreutils prints (strerror's): `No such file or directory`. */
const TEXT: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EEXIST: 'File exists',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  ENOTEMPTY: 'Directory not empty',
  ELOOP: 'Too many levels of symbolic links',
  EIO: 'Input/output error',
  EMFILE: 'Too many open files',
  ENFILE: 'Too many open files in system',
  ENAMETOOLONG: 'File name too long',
  ENOSPC: 'No space left on device',
  EDQUOT: 'Disk quota exceeded',
  EFBIG: 'File too large',
  EROFS: 'Read-only file system',
  EXDEV: 'Invalid cross-device link',
  EBUSY: 'Device or resource busy',
  ETXTBSY: 'Text file busy',
  EBADF: 'Bad file descriptor',
  EINVAL: 'Invalid argument',
};

/** `Is a directory`, or the code itself when it is not a common one. */
export function errnoText(code: string): string {
  return TEXT[code] ?? code;
}

/**
 * Why a file operation failed, for the end of a message: the errno in coreutils' words, else the error's own
 * message. (The code itself stays on the error, as `errno`, for programs.)
 */
export function reasonOf(err: unknown): string {
  const errno = errnoOf(err);
  if (errno !== undefined) return errnoText(errno);
  return err instanceof Error ? err.message : String(err);
}
