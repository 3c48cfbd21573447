/** What a file error code means, in the words coreutils prints (`sha256sum: x: No such file or directory`). */
const TEXT: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  ELOOP: 'Too many levels of symbolic links',
  EIO: 'Input/output error',
  EMFILE: 'Too many open files',
  ENAMETOOLONG: 'File name too long',
  EINVAL: 'Not a regular file (a FIFO, socket or device is not read)',
};

/** `Is a directory`, or the code itself when it is not a common one. */
export function errnoText(code: string | undefined): string {
  if (code === undefined) return 'cannot read';
  return TEXT[code] ?? code;
}
