// The command model: each command is declared once (src/cli/commands/<name>.ts) and its yargs configuration,
// the type of its parsed arguments, its --help and its README table are read from that declaration.

/**
 * How a flag's value is read and handed on:
 * - `count`: a whole number, its range checked by the library; `rate`: a number above 0; `seconds`: a number of seconds above 0, handed over
 *   in milliseconds; `number`: any number, checked by the command; `size`: bytes with a suffix (`500K`, `2M`,
 *   `1G`) of at least `size.min`;
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
  /** The default, as the README's table and --help say it ('' when there is none to say). */
  readonly default: string;
  /** The --help line. */
  readonly help: string;
  /** The README's "meaning" column (Markdown); the help line when not given. */
  readonly doc?: string;
  /** For `size`: the smallest value and examples for the error message. */
  readonly size?: { readonly min: number; readonly unit: string; readonly examples: string };
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
}

type NumberKind = 'count' | 'rate' | 'seconds' | 'number';

type ValueOf<O extends OptionSpec> = O['kind'] extends 'boolean'
  ? boolean
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
  /** Loads the command's code when it runs: `dlpool verify` does not pay for undici's start-up. */
  readonly run: (args: ArgsOf<P, O>) => Promise<void>;
}

/** A command, with its arguments' type read from its declaration. */
export function defineCommand<
  const P extends readonly PositionalSpec[],
  const O extends readonly OptionSpec[],
>(spec: CommandSpec<P, O>): CommandSpec<P, O> {
  return spec;
}

/** How an option looks in the README's table: `-j, --concurrency N`, `--mode async\|threads`, `--cacert`. */
export function readmeName(o: OptionSpec): string {
  const shorts = (o.alias ?? []).filter((a) => a.length === 1).map((a) => `-${a}, `);
  const longs = (o.alias ?? []).filter((a) => a.length > 1).map((a) => ` (\`--${a}\`)`);
  const value = o.choices ? o.choices.join('\\|') : o.value;
  return `\`${shorts.join('')}--${o.flag}${value ? ` ${value}` : ''}\`${longs.join('')}`;
}

/** The --help text of an option: its line, and its default in brackets (Markdown quotes removed). */
export function helpText(o: OptionSpec): string {
  const d = o.default.replace(/`/g, '');
  return d === '' || d === 'off' ? o.help : `${o.help} [${d}]`;
}

/** The README table row of each option: [option, default, meaning]. */
export function readmeRows(options: readonly OptionSpec[]): string[][] {
  return options.map((o) => [readmeName(o), o.default, o.doc ?? o.help.replace(/\|/g, '\\|')]);
}

/** The options a command's README table lists: a command that takes every option of another lists its own. */
export function ownOptions(c: CommandSpec, shared: readonly OptionSpec[] = []): readonly OptionSpec[] {
  return c.options.filter((o) => !shared.includes(o));
}
