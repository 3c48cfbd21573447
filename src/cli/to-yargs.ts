import type { Argv, Options, PositionalOptions } from 'yargs';
import { type CommandSpec, helpText, type OptionSpec, type PositionalSpec } from './command.js';

/** An option as yargs takes it: one value per occurrence (never an array option, which swallows the URLs after it). */
export function yargsOption(o: OptionSpec): Options {
  const type =
    o.kind === 'count' || o.kind === 'rate' || o.kind === 'seconds' || o.kind === 'number'
      ? 'number'
      : o.kind === 'boolean'
        ? 'boolean'
        : 'string';
  return {
    type,
    describe: helpText(o),
    ...(o.alias ? { alias: [...o.alias] } : {}),
    ...(o.choices ? { choices: [...o.choices] } : {}),
    ...(o.required ? { demandOption: true } : {}),
  };
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

/** The command's positionals, options, examples and epilog, on the yargs instance of the command. */
export function configure(y: Argv, c: CommandSpec): Argv {
  let argv = y;
  for (const p of c.positionals) argv = argv.positional(p.name, yargsPositional(p));
  for (const o of c.options) argv = argv.option(o.flag, yargsOption(o));
  // Examples are printed whole, one per line with what it does under it: yargs' example column is half the
  // width, so it broke every longer command line in the middle.
  const examples = c.examples.map(([cmd, what]) => `  ${cmd}\n      ${what}`);
  const epilog = [
    ...(examples.length > 0 ? [`Examples:\n${examples.join('\n')}`] : []),
    ...(c.epilog === undefined ? [] : [c.epilog]),
  ];
  return epilog.length === 0 ? argv : argv.epilog(epilog.join('\n\n'));
}

/** Every command on the parser, the default one also under `$0`. */
export function addCommands(y: Argv, commands: readonly CommandSpec[]): Argv {
  let argv = y;
  for (const c of commands) {
    const names = c.isDefault ? [commandLine(c), commandLine(c, '$0')] : commandLine(c);
    argv = argv.command(
      names,
      c.describe,
      (sub) => configure(sub, c),
      (a) => c.run(a as never),
    );
  }
  return argv;
}
