import { errnoText as words } from '../errno-text.js';

/**
 * Why `hash` or `verify` could not read a file, in coreutils' words. They open only regular files, so EINVAL
 * there means a FIFO, socket or device was refused.
 */
export function errnoText(code: string | undefined): string {
  if (code === undefined) return 'cannot read';
  if (code === 'EINVAL') return 'Not a regular file (a FIFO, socket or device is not read)';
  return words(code);
}

/** The `error` of a `hash`/`verify --json` result: an object with a code, as get's (schemas/). */
export function fileProblemJson(code: string | undefined): {
  code: 'ERR_DL_FILE';
  message: string;
  errno: string | null;
} {
  return {
    code: 'ERR_DL_FILE',
    message: errnoText(code),
    errno: code !== undefined && /^E[A-Z0-9]+$/.test(code) ? code : null,
  };
}
