import { DlpoolError, errnoOf, UnsafeNameError } from '../errors.js';
import { reasonOf } from '../errno-text.js';
import { shownPath } from '../common/shown-path.js';

/**
 * A file-system failure while writing: names the path; not retried (disk full will not heal by waiting), but
 * for EMFILE/ENFILE, which do once other downloads close their files (see isOutOfFiles).
 */
export function fileError(err: unknown, action: string, path: string): DlpoolError {
  return new DlpoolError('ERR_DL_FILE', `cannot ${action} '${shownPath(path)}': ${reasonOf(err)}`, {
    cause: err,
    errno: errnoOf(err),
  });
}

/** A symbolic link where dlpool would write; `shown` is the path as messages show it (see shownPath). */
export function symlinkError(shown: string): UnsafeNameError {
  return new UnsafeNameError(`'${shown}' is a symbolic link; dlpool never writes through one (remove it)`);
}
