// The command model: each command is declared once (src/cli/commands/<name>.ts) and its yargs configuration,
// the type of its parsed arguments, its value checks, its --help and its README table are read from that declaration.

import type { OptionRule } from '../download-options.js';
import type { NumberRange } from '../option-values.js';

/**
 * How a flag's value is read and handed on:
 * - `count`: a whole number; `rate`: requests per second; `number`: any number; `seconds`: a number of seconds,
 *   handed over in whole milliseconds; `size`: bytes with a suffix (`500K`, `2M`, `1G`), handed over in bytes;
 *   each checked by its range (see `range`);
 * - `string`, `boolean`, `choice`: as given; `headers`: one `"Name: value"` per occurrence; `shard`: `I/N`.
 */
export type OptionKind =
  'count' | 'rate' | 'seconds' | 'number' | 'size' | 'string' | 'boolean' | 'choice' | 'headers' | 'shard';

export interface OptionSpec {
  /** The long flag, without `--`. */
  readonly flag: string;
  /** Short or other names, without dashes (`j`, `cacert`). */
  readonly alias?: readonly string[];
  readonly kind: OptionKind;
  /**
   * The library option it sets (`perHost` of DownloadOptions, `algorithm` of hashFiles); none for what only the
   * CLI does (output, progress). The library's errors name it, and the CLI says them with the flag as typed.
   */
  readonly key?: string;
  readonly choices?: readonly string[];
  /** The value's name in the README (`N`, `FILE`, `SEC`, `BYTES`). */
  readonly value?: string;
  /**
   * The default as text, for what is not one value (`half the cores`, `unlimited`, `off`); see `defaultValue`.
   * The README's table and --help say it; none or '' when there is none to say.
   */
  readonly default?: string;
  /**
   * The default as the value the command runs with: set on the parsed arguments when the command line gives
   * none (applyDefaults), and said by --help, the README and the man page (unless `default` says it otherwise).
   */
  readonly defaultValue?: number | string;
  /** The --help line. */
  readonly help: string;
  /** The "meaning" column of the option tables in docs/commands.md (Markdown); the help line when not given. */
  readonly doc?: string;
  /**
   * For `size`: the unit and examples for the error message; `min` is the smallest value of an option with no
   * range (see `range`), 0 when not given.
   */
  readonly size?: { readonly min?: number; readonly unit: string; readonly examples: string };
  /**
   * The values a number, count, seconds or size option takes, in the unit the library takes (milliseconds,
   * bytes). Without it, a `key` of DownloadOptions has that option's range (DOWNLOAD_RANGES), which
   * normalizeOptions checks too: one rule for the flag and the library option.
   */
  readonly range?: NumberRange;
  /** A comma-separated list (`-j 1,4,16`): each item is checked as `kind`, `range` and `choices` say. */
  readonly list?: true;
  /** What its value is completed with; by default files for a `FILE` value and folders for a `DIR` one. */
  readonly complete?: 'file' | 'dir';
  /** The command cannot run without it. */
  readonly required?: true;
  /** Given several times, the values are kept in order (`-i a -i b`). */
  readonly repeat?: true;
}

export interface PositionalSpec {
  readonly name: string;
  readonly help: string;
  /** Several words (`[files..]`). */
  readonly array?: true;
  readonly required?: true;
  readonly choices?: readonly string[];
  /** What it is completed with: files unless it says folders (`merge DIR`). */
  readonly complete?: 'file' | 'dir';
}

type NumberKind = 'count' | 'rate' | 'seconds' | 'number';

type ValueOf<O extends OptionSpec> = O['kind'] extends 'boolean'
  ? boolean
  : O extends { list: true }
    ? string
    : O['kind'] extends NumberKind
      ? number
      : O extends { repeat: true } | { kind: 'headers' }
        ? string | string[]
        : string;

type PositionalValue<P extends PositionalSpec> = P extends { array: true } ? string[] : string;

/** The parsed arguments of a command with these positionals and options, as yargs hands them to `run`. */
export type ArgsOf<P extends readonly PositionalSpec[], O extends readonly OptionSpec[]> = {
  [X in P[number] as X['name']]?: PositionalValue<X> | undefined;
} & {
  [X in O[number] as X extends { required: true } ? never : X['flag']]?: ValueOf<X> | undefined;
} & {
  [X in O[number] as X extends { required: true } ? X['flag'] : never]: ValueOf<X>;
} & {
  /** Words yargs did not take as options or positionals: the command's name, and what followed `--`. */
  _?: (string | number)[] | undefined;
};

export interface CommandSpec<
  P extends readonly PositionalSpec[] = readonly PositionalSpec[],
  O extends readonly OptionSpec[] = readonly OptionSpec[],
> {
  readonly name: string;
  /** The one-line description in `dlpool --help`. */
  readonly describe: string;
  /** The command runs when no command is named (`dlpool URL`). */
  readonly isDefault?: true;
  readonly positionals: P;
  readonly options: O;
  /** [command line, what it does]; `$0` is `dlpool`. */
  readonly examples: readonly (readonly [string, string])[];
  /** Text printed after the options in --help. */
  readonly epilog?: string;
}

/**
 * A declared command and the code that runs it, joined in commands/index.ts: a run file may read its declaration,
 * a declaration never loads its run file, so the two never import each other.
 */
export interface RunnableCommand extends CommandSpec {
  /** Loads the command's code when it runs: `dlpool verify` does not pay for the HTTP client's start-up. */
  readonly run: (args: never) => Promise<void>;
}

/** `spec` with the code that runs it, the arguments typed by the declaration. */
export function runnable<const P extends readonly PositionalSpec[], const O extends readonly OptionSpec[]>(
  spec: CommandSpec<P, O>,
  run: (args: ArgsOf<P, O>) => Promise<void>,
): RunnableCommand {
  return { ...(spec as unknown as CommandSpec), run: run as (args: never) => Promise<void> };
}

/** A command, with its arguments' type read from its declaration. */
export function defineCommand<
  const P extends readonly PositionalSpec[],
  const O extends readonly OptionSpec[],
>(spec: CommandSpec<P, O>): CommandSpec<P, O> {
  return spec;
}

/** What a flag that sets a library option declares itself: the rest comes from the option's row. */
export type LibraryFlagSpec = Omit<OptionSpec, 'key' | 'defaultValue' | 'range' | 'choices'>;

/**
 * A flag that sets the library option `key`, whose row (`row`: its default, range and choices, as the library
 * checks the option) is the flag's too: the flag's value is checked by the row's range and choices, and its
 * default is said from the row's default in the flag's unit (`off`, `10` seconds, `16M`). A `default` text of the
 * flag's own is for a row with none to say (`unlimited`); a test refuses one beside the row's.
 */
export function libraryFlag<const K extends string, const S extends LibraryFlagSpec>(
  key: K,
  row: OptionRule,
  spec: S,
): S & { readonly key: K } {
  const said = spec.default ?? row.said ?? defaultSaid(row.default, spec.kind);
  return {
    ...spec,
    key,
    ...(row.range === undefined ? {} : { range: row.range }),
    ...(row.choices === undefined ? {} : { choices: row.choices }),
    ...(said === undefined ? {} : { default: said }),
  };
}

/** A library default as the flag's help says it: `on`/`off`, seconds for milliseconds, `16M` for bytes. */
function defaultSaid(value: unknown, kind: OptionKind): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (typeof value === 'number') {
    if (kind === 'seconds') return String(value / 1000);
    for (const [unit, size] of [
      ['G', 2 ** 30],
      ['M', 2 ** 20],
      ['K', 2 ** 10],
    ] as const) {
      if (kind === 'size' && value >= size && value % size === 0) return `\`${value / size}${unit}\``;
    }
    return String(value);
  }
  return `\`${String(value)}\``;
}

/** How an option looks in the README's table: `-j, --concurrency N`, `--mode async\|threads`, `--cacert`. */
export function readmeName(o: OptionSpec): string {
  const shorts = (o.alias ?? []).filter((a) => a.length === 1).map((a) => `-${a}, `);
  const longs = (o.alias ?? []).filter((a) => a.length > 1).map((a) => ` (\`--${a}\`)`);
  const value = o.choices && !o.list ? o.choices.join('\\|') : o.value;
  return `\`${shorts.join('')}--${o.flag}${value ? ` ${value}` : ''}\`${longs.join('')}`;
}

/** The default as the README's table and --help say it (Markdown): `default`, else `defaultValue`, else ''. */
export function defaultText(o: OptionSpec): string {
  return o.default ?? (o.defaultValue === undefined ? '' : String(o.defaultValue));
}

/**
 * An option's help without what depends on the machine it is read on (`(here: 4)`): the README and the man page
 * are written once and read elsewhere; the default says `half the cores`.
 */
export function portableHelp(o: OptionSpec): string {
  return o.help.replace(/ \(here: [^)]*\)/, '');
}

/** The --help text of an option: its line, and its default in brackets (Markdown quotes removed). */
export function helpText(o: OptionSpec): string {
  const d = defaultText(o).replace(/`/g, '');
  return d === '' || d === 'off' ? o.help : `${o.help} [${d}]`;
}

/** How a positional looks in the README's table: `DIR`, `FILES...`, `bash\|zsh\|fish`. */
export function readmePositional(p: PositionalSpec): string {
  const name = p.choices ? p.choices.join('\\|') : `${p.name.toUpperCase()}${p.array ? '...' : ''}`;
  return `\`${name}\``;
}

/** The README table rows of a command: its positionals, then each option: [argument, default, meaning]. */
export function readmeRows(
  options: readonly OptionSpec[],
  positionals: readonly PositionalSpec[] = [],
): string[][] {
  return [
    ...positionals.map((p) => [readmePositional(p), '', p.help.replace(/\|/g, '\\|')]),
    ...options.map((o) => [readmeName(o), defaultText(o), o.doc ?? portableHelp(o).replace(/\|/g, '\\|')]),
  ];
}

/** An option given several times keeps every value in order (`-H a -H b`); any other keeps the last. */
export function repeats(o: OptionSpec): boolean {
  return o.repeat === true || o.kind === 'headers';
}

/** A command's option by its flag (a declaration the code reads, so it is there). */
export function optionOf(c: CommandSpec, flag: string): OptionSpec {
  const o = c.options.find((x) => x.flag === flag);
  if (o === undefined) throw new Error(`${c.name} has no option --${flag}`);
  return o;
}

/** The options a command's README table lists: a command that takes every option of another lists its own. */
export function ownOptions(c: CommandSpec, shared: readonly OptionSpec[] = []): readonly OptionSpec[] {
  return c.options.filter((o) => !shared.includes(o));
}
