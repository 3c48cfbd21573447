// Checks of the command line that yargs does not make, or makes with messages a user cannot act on
// (`got NaN`, an option silently dropped because its value is missing, no hint for a typo).

import { closest } from '../common/closest.js';
import { UsageError } from '../errors.js';

/** The spellings of an option on the command line: `--name` and `-a` for each alias. */
function flagsOf(key: string, aliases: readonly string[]): string[] {
  return [key, ...aliases].map((n) => (n.length === 1 ? `-${n}` : `--${n}`));
}

/** The text given to an option (`--name V`, `--name=V`, `-a V`), as typed; the last one wins, as in yargs. */
export function rawValue(tokens: readonly string[], flags: readonly string[]): string | undefined {
  let found: string | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t === '--') break;
    if (flags.includes(t)) found = tokens[i + 1];
    else
      for (const f of flags) if (f.startsWith('--') && t.startsWith(`${f}=`)) found = t.slice(f.length + 1);
  }
  return found;
}

/** Options that take a value but were given none (`-j` last, or followed by another option). */
export function missingValue(tokens: readonly string[], flags: readonly string[]): boolean {
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t === '--') return false;
    if (!flags.includes(t)) continue;
    const next = tokens[i + 1];
    if (next === undefined || next === '--' || (/^-[A-Za-z-]/.test(next) && !/^-\d/.test(next))) return true;
  }
  return false;
}

/** What yargs' getOptions() returns, as far as these checks read it. */
export interface ParsedOptions {
  key: Record<string, unknown>;
  alias: Record<string, string[]>;
  boolean: string[];
  number: string[];
}

/**
 * After yargs parsed `tokens` for a command with `options`: every value option has a value, and every number
 * is a number (`-j four` says "got 'four'", not NaN). Throws a UsageError naming the option.
 */
export function checkValues(
  argv: Record<string, unknown>,
  tokens: readonly string[],
  options: ParsedOptions,
): void {
  const aliasOf = new Set(Object.values(options.alias).flat());
  for (const key of Object.keys(options.key)) {
    // Each option once, under its long name; help and version are flags.
    if (aliasOf.has(key) || options.boolean.includes(key) || key === 'help' || key === 'version') continue;
    const flags = flagsOf(key, options.alias[key] ?? []);
    if (missingValue(tokens, flags))
      throw new UsageError(`--${key}: needs a value (${flags.join(', ')} VALUE)`);
    if (!options.number.includes(key)) continue;
    const v = argv[key];
    const bad = (Array.isArray(v) ? v : [v]).some((x) => typeof x === 'number' && Number.isNaN(x));
    if (bad) throw new UsageError(`--${key}: expected a number, got '${rawValue(tokens, flags) ?? ''}'`);
  }
}

/** `a, b or c`. */
export function either(words: readonly string[]): string {
  return words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
}

/** `expected async or threads, got 'thread' (did you mean threads?)`: a value that is none of the choices. */
export function expectedChoice(given: string, choices: readonly string[]): string {
  const guess = closest(given, choices);
  return `expected ${either(choices)}, got '${given}'${guess ? ` (did you mean ${guess}?)` : ''}`;
}

/** `unknown option --per-hots (did you mean --per-host?)`, for a name as yargs gives it (`per-hots`, `x`). */
function unknownOption(name: string, known: readonly string[]): string {
  const shown = name.length === 1 ? `-${name}` : `--${name}`;
  const guess = closest(name, known);
  return `unknown option ${shown}${guess ? ` (did you mean --${guess}?)` : ''}`;
}

/**
 * yargs' "Unknown argument(s): a, b, aB" as one line: a name typed as an option (`--bogus`, `-b`) is an unknown
 * option, with a suggestion where there is one; a word typed as it is (`verify a b`) is one argument more than
 * the command takes, said with its usage (`dlpool verify <sums>`).
 */
export function unknownOptionsMessage(
  message: string,
  known: readonly string[],
  tokens: readonly string[] = [],
  usage = '',
): string | undefined {
  const m = /^Unknown arguments?: (.*)$/.exec(message);
  if (!m) return undefined;
  // yargs lists the camelCase form of each dashed name too.
  const names = m[1]!.split(', ').filter((n) => !/[a-z][A-Z]/.test(n));
  const words = tokens.slice(0, tokens.includes('--') ? tokens.indexOf('--') : undefined);
  const typedAsIs = (n: string) => words.includes(n) && !n.startsWith('-');
  return [
    ...names.filter((n) => !typedAsIs(n)).map((n) => unknownOption(n, known)),
    ...names.filter(typedAsIs).map((n) => `unexpected argument '${n}'${usage ? ` (${usage})` : ''}`),
  ].join('; ');
}

/**
 * The options typed on the command line that the command does not have (`--bogus`, `-b`), by name as yargs
 * names them. yargs reports them only after a missing argument, which an unknown option may have taken as its
 * value (`verify --bogus x`): they are said first.
 */
export function typedUnknownOptions(tokens: readonly string[], options: ParsedOptions): string[] {
  const has = (n: string) => Object.hasOwn(options.key, n) || Object.values(options.alias).flat().includes(n);
  const takesValue = (n: string) => !options.boolean.includes(n) && n !== 'help' && n !== 'version';
  const unknown: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t === '--') break;
    const m = /^--([^=]+)(=?)/.exec(t) ?? /^-([A-Za-z])()/.exec(t);
    if (!m) continue;
    const name = m[1]!;
    if (!has(name) && !(name.startsWith('no-') && has(name.slice(3)))) unknown.push(name);
    // `--flag VALUE`, `-j VALUE`: the value is not an option, whatever it looks like.
    else if (m[2] === '' && t.length === name.length + (t.startsWith('--') ? 2 : 1) && takesValue(name)) i++;
  }
  return unknown;
}

export { closest };
