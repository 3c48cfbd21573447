import { errnoOf } from '../errors.js';

/**
 * What is wrong with the current directory, or undefined when it can be read. Node resolves every relative
 * path through `process.cwd()` (yargs asks first), and in a folder that was removed (`rmdir` from another
 * shell) that throws `ENOENT, uv_cwd` with a stack trace. Node keeps the answer once it has one, so a run
 * that passes this check never meets that error later.
 */
export function cwdProblem(): string | undefined {
  try {
    process.cwd();
    return undefined;
  } catch (err) {
    const errno = errnoOf(err) ?? String(err);
    return errno === 'ENOENT'
      ? `the current directory was removed (getcwd: ENOENT); cd to a directory that exists`
      : `cannot read the current directory (getcwd: ${errno})`;
  }
}
