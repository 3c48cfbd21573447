import { DlpoolError } from '../errors.js';
import { EXIT } from '../report/summary.js';
import type { CommandSpec } from './command.js';
import { safeLines, safeText } from './render/safe-text.js';
import { asTyped, tryHelp } from './usage.js';

/**
 * How a command line that did not run ends: a usage error (exit 2) as one line naming the flag as typed, then
 * the command's --help; a bad input or an unreachable Redis (exit 2) as its message; anything else is a bug,
 * said with its stack (exit 1).
 */
export function reportError(err: unknown, tokens: readonly string[], command: CommandSpec): void {
  if (
    err instanceof DlpoolError &&
    (err.code === 'ERR_DL_USAGE' || err.code === 'ERR_DL_INPUT' || err.code === 'ERR_DL_REDIS')
  ) {
    const usage = err.code === 'ERR_DL_USAGE';
    const message = usage ? asTyped(err.message, tokens, command) : err.message;
    process.stderr.write(`${safeText(`dlpool: ${message}`)}\n`);
    if (usage) process.stderr.write(`${tryHelp(command)}\n`);
    process.exitCode = EXIT.USAGE;
    return;
  }
  process.stderr.write(
    `${safeLines(`dlpool: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`)}\n`,
  );
  process.exitCode = EXIT.FAILED;
}
