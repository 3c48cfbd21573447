import type { Argv, Options, PositionalOptions } from 'yargs';
import {
  type CommandSpec,
  helpText,
  type OptionSpec,
  type PositionalSpec,
  repeats,
  type RunnableCommand,
} from './command.js';
import { STDIN_TOKEN } from './stdin-token.js';

/** A lone `-` given to an option, which main() passes through yargs as STDIN_TOKEN, as it was typed. */
function typed(v: unknown): unknown {
  return v === STDIN_TOKEN ? '-' : v;
}

/**
 * yargs makes an array of an option given twice; a one-value option takes the last, as curl and wget do
 * (`-o a -o b` saves to b, `--no-config` after `--config F` reads none).
 */
function lastValue(v: unknown): unknown {
  return typed(Array.isArray(v) ? v.at(-1) : v);
}

function everyValue(v: unknown): unknown {
  return Array.isArray(v) ? v.map(typed) : typed(v);
}

/**
 * An option as yargs takes it: one value per occurrence (never an array option, which swallows the URLs after
 * it); a list as its text, checked item by item by fromArgv. `answersAlone`: the command line asks for what needs
 * none of the required options (`--print-config`), so none is demanded.
 */
export function yargsOption(o: OptionSpec, answersAlone = false): Options {
  const numeric = o.kind === 'count' || o.kind === 'rate' || o.kind === 'seconds' || o.kind === 'number';
  const type = o.list ? 'string' : numeric ? 'number' : o.kind === 'boolean' ? 'boolean' : 'string';
  return {
    type,
    describe: helpText(o),
    // Applied before yargs checks choices, to the option and each of its aliases.
    coerce: repeats(o) ? everyValue : lastValue,
    ...(o.alias ? { alias: [...o.alias] } : {}),
    ...(o.choices && !o.list ? { choices: [...o.choices] } : {}),
    ...(o.required && !answersAlone ? { demandOption: true } : {}),
  };
}

/**
 * The declared default values, on the parsed arguments where the command line gave none. Set here rather than
 * as yargs' `default`, which --help would print a second time, after the one helpText gives.
 */
export function applyDefaults(args: Record<string, unknown>, options: readonly OptionSpec[]): void {
  for (const o of options) if (o.defaultValue !== undefined) args[o.flag] ??= o.defaultValue;
}

/** Options whose answer needs none of the command's required options: the effective configuration. */
const ANSWERS_ALONE = ['--print-config'];

/** The command line asks only for what the required options are not needed for (see yargsOption). */
export function answersAlone(tokens: readonly string[]): boolean {
  const before = tokens.includes('--') ? tokens.slice(0, tokens.indexOf('--')) : tokens;
  return before.some((t) => ANSWERS_ALONE.some((f) => t === f || t === `${f}=true`));
}

function yargsPositional(p: PositionalSpec): PositionalOptions {
  return {
    type: 'string',
    describe: p.help,
    ...(p.array ? { array: true } : {}),
    ...(p.choices ? { choices: [...p.choices] } : {}),
  };
}

/** `verify <sums>`, `hash [files..]`: the command's name and its positionals as yargs reads them. */
export function commandLine(c: CommandSpec, name = c.name): string {
  const words = c.positionals.map((p) => {
    const inner = `${p.name}${p.array ? '..' : ''}`;
    return p.required ? `<${inner}>` : `[${inner}]`;
  });
  return [name, ...words].join(' ');
}

/**
 * Where a command's examples go in its --help: one word, which yargs' wrapping cannot break, replaced by
 * withExamples after yargs laid the rest out.
 */
function examplesMark(c: CommandSpec): string {
  return `@examples:${c.name}@`;
}

/** `text` in lines of at most `width` columns, each starting with `indent`; a longer word keeps its own line. */
function wrapWords(text: string, width: number, indent: string): string[] {
  const lines: string[] = [];
  for (const word of text.split(' ')) {
    const last = lines.at(-1);
    if (last !== undefined && last.length + 1 + word.length <= width)
      lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(`${indent}${word}`);
  }
  return lines;
}

/**
 * yargs' --help text with each command's examples in place of its mark: every command line whole on a line of
 * its own, however narrow the terminal (yargs wraps its epilog at `width` like prose, and breaks a long
 * command in the middle); what it does under it, wrapped at `width`.
 */
export function withExamples(help: string, commands: readonly CommandSpec[], width: number): string {
  return help.replace(/^.*@examples:([\w-]+)@.*$/gm, (line, name: string) => {
    const c = commands.find((x) => x.name === name);
    if (c === undefined) return line;
    return c.examples
      .flatMap(([cmd, what]) => [`  ${cmd.replace(/\$0/g, 'dlpool')}`, ...wrapWords(what, width, '      ')])
      .join('\n');
  });
}

/** The command's positionals, options, examples and epilog, on the yargs instance of the command. */
export function configure(y: Argv, c: CommandSpec, tokens: readonly string[] = []): Argv {
  let argv = y;
  const alone = answersAlone(tokens);
  for (const p of c.positionals) argv = argv.positional(p.name, yargsPositional(p));
  for (const o of c.options) argv = argv.option(o.flag, yargsOption(o, alone));
  // Not yargs' example column, which is half the width: it breaks every longer command line in the middle.
  const epilog = [
    ...(c.examples.length > 0 ? [`Examples:\n${examplesMark(c)}`] : []),
    ...(c.epilog === undefined ? [] : [c.epilog]),
  ];
  return epilog.length === 0 ? argv : argv.epilog(epilog.join('\n\n'));
}

/** Every command on the parser, the default one also under `$0`; `tokens` is the command line parsed. */
export function addCommands(
  y: Argv,
  commands: readonly RunnableCommand[],
  tokens: readonly string[] = [],
): Argv {
  let argv = y;
  for (const c of commands) {
    const names = c.isDefault ? [commandLine(c), commandLine(c, '$0')] : commandLine(c);
    argv = argv.command(
      names,
      c.describe,
      (sub) => configure(sub, c, tokens),
      (a) => c.run(a as never),
    );
  }
  return argv;
}
