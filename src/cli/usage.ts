// Usage errors as one line a user can act on: the option or word as typed, what was expected, a guess when
// one is close, and the --help of the command that was running.

import { existsSync } from 'node:fs';
import { UsageError } from '../errors.js';
import {
  closest,
  expectedChoice,
  type ParsedOptions,
  typedUnknownOptions,
  unknownOptionsMessage,
} from './argv-checks.js';
import type { CommandSpec, OptionSpec } from './command.js';
import { SPECS as COMMANDS } from './commands/specs.js';
import { commandLine } from './to-yargs.js';

/** The command a command line runs: the first word when it names one, else the default (`dlpool URL`). */
export function commandOf(tokens: readonly string[]): CommandSpec {
  const first = tokens.find((t) => !t.startsWith('-'));
  return COMMANDS.find((c) => c.name === first) ?? COMMANDS.find((c) => c.isDefault)!;
}

/** `Try 'dlpool verify --help'.`: the help of the command that was running. */
export function tryHelp(c: CommandSpec): string {
  return `Try 'dlpool${c.isDefault ? '' : ` ${c.name}`} --help'.`;
}

/**
 * A first word one or two letters from a command's name (`verfy`) is that command mistyped, unless it is a file
 * (the default command takes list files by name) or looks like a URL or a path. Checked before anything runs.
 */
export function checkCommandName(tokens: readonly string[]): void {
  const first = tokens[0];
  if (first === undefined || first.startsWith('-') || /[/:.]/.test(first)) return;
  if (COMMANDS.some((c) => c.name === first)) return;
  const guess = closest(
    first,
    COMMANDS.map((c) => c.name),
  );
  if (guess !== undefined && !existsSync(first))
    throw new UsageError(`unknown command '${first}' (did you mean ${guess}?)`);
}

/** yargs' `Invalid values: Argument: mode, Given: "thread", Choices: "async", "threads"`, one line per value. */
function choiceMessages(message: string, c: CommandSpec): string | undefined {
  if (!message.startsWith('Invalid values:')) return undefined;
  const lines = [...message.matchAll(/Argument: ([^,]+), Given: (.*), Choices: (.*)/g)].map((m) => {
    const name = m[1]!;
    const given = String(JSON.parse(m[2]!) as unknown);
    const choices = (JSON.parse(`[${m[3]!}]`) as unknown[]).map(String);
    const shown = c.positionals.some((p) => p.name === name) ? name : `--${name}`;
    return `${shown}: ${expectedChoice(given, choices)}`;
  });
  return lines.length > 0 ? lines.join('; ') : undefined;
}

/** yargs' `Missing required argument: list-root` and `Not enough non-option arguments`, said with the names. */
function missingMessage(message: string, c: CommandSpec): string | undefined {
  const m = /^Missing required arguments?: (.*)$/.exec(message);
  if (m) {
    return m[1]!
      .split(', ')
      .map((name) => {
        const o = c.options.find((x) => x.flag === name);
        // What the option is for, so the line alone says what to give.
        return `--${name}${o?.value ? ` ${o.value}` : ''} is required: ${o?.help ?? name}`;
      })
      .join('; ');
  }
  if (message.startsWith('Not enough non-option arguments')) {
    const needed = c.positionals.filter((p) => p.required).map((p) => `<${p.name}>`);
    return `missing ${needed.join(' ')} (dlpool ${c.name} ${needed.join(' ')})`;
  }
  return undefined;
}

/**
 * A message of yargs' own as one line naming the option or word typed; `options`: what yargs knows of the
 * command's options, `tokens`: its command line.
 */
export function yargsMessage(
  message: string,
  c: CommandSpec,
  options: ParsedOptions,
  tokens: readonly string[] = [],
): string {
  const known = Object.keys(options.key).filter((k) => k.length > 1 && !/[A-Z]/.test(k));
  const usage = `dlpool ${commandLine(c)}`;
  const unknown = message.startsWith('Unknown argument') ? [] : typedUnknownOptions(tokens, options);
  const first = unknown.length > 0 ? `Unknown arguments: ${unknown.join(', ')}` : message;
  return (
    unknownOptionsMessage(first, known, tokens, usage) ??
    choiceMessages(message, c) ??
    missingMessage(message, c) ??
    message
  );
}

/** The ways an option can be typed: `--concurrency`, `-j`, `--cacert`. */
function spellings(o: OptionSpec): string[] {
  return [o.flag, ...(o.alias ?? [])].map((n) => (n.length === 1 ? `-${n}` : `--${n}`));
}

/**
 * A message about an option names it as the user typed it, the last time it was given: `--concurrency: ...` or
 * the library's `concurrency: ...` become `-j: ...` after `-j 0` or `-j0`.
 */
export function asTyped(message: string, tokens: readonly string[], c: CommandSpec): string {
  const m = /^(--)?([\w-]+):/.exec(message);
  const o = m && c.options.find((x) => (m[1] ? x.flag === m[2] : x.key === m[2]));
  if (!o) return message;
  const names = spellings(o);
  let typed = `--${o.flag}`;
  for (const t of tokens) {
    if (t === '--') break;
    const hit = names.find((n) => (n.startsWith('--') ? t === n || t.startsWith(`${n}=`) : t.startsWith(n)));
    if (hit !== undefined) typed = hit;
  }
  return `${typed}${message.slice(m[0].length - 1)}`;
}
