// The man page, written from the command declarations at build time (scripts/man.mjs) so `man dlpool` says what
// --help says: every command with its synopsis, options, defaults and examples, and the exit codes.

import { EXIT } from '../report/summary.js';
import { type CommandSpec, defaultText, type OptionSpec, portableHelp } from './command.js';
import { commandLine } from './to-yargs.js';

/** What each exit code means, in the words of the README's table (the compiler asks for every code). */
const EXIT_MEANING: Record<keyof typeof EXIT, string> = {
  OK: 'every entry downloaded or already present; for the other commands, the work done',
  FAILED:
    'at least one entry failed (or a file did not match its checksum, or the manifest could not be written)',
  USAGE:
    'usage error, or a file named on the command line cannot be opened, or the output directory cannot be made, ' +
    'or Redis cannot be reached; nothing was done',
  PIPE: 'get -o -: standard output was closed before the whole body was written, as a process killed by SIGPIPE reports',
  SIGINT: 'interrupted by SIGINT (Ctrl-C); a second signal ends it at once',
  SIGTERM: 'interrupted by SIGTERM, as for SIGINT',
};

/** Text as roff prints it: backslashes, dashes (so flags copy as typed) and a leading dot or quote escaped. */
export function roff(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .replace(/^([.'])/gm, '\\&$1');
}

const bold = (s: string) => `\\fB${roff(s)}\\fR`;
const italic = (s: string) => `\\fI${roff(s)}\\fR`;

function optionEntry(o: OptionSpec): string[] {
  const names = [
    ...(o.alias ?? []).filter((a) => a.length === 1).map((a) => bold(`-${a}`)),
    bold(`--${o.flag}`),
    ...(o.alias ?? []).filter((a) => a.length > 1).map((a) => bold(`--${a}`)),
  ];
  const value = o.choices && !o.list ? o.choices.map(italic).join('|') : o.value ? italic(o.value) : '';
  const dflt = defaultText(o).replace(/`/g, '');
  // One note a line, without a closing period: a default can be `.`.
  const notes = [
    ...(dflt === '' || dflt === 'off' ? [] : [`Default: ${dflt}`]),
    ...(o.repeat ? ['May be given more than once'] : []),
    ...(o.required ? ['Required'] : []),
  ];
  return [
    '.TP',
    `${names.join(', ')}${value ? ` ${value}` : ''}`,
    roff(portableHelp(o)),
    ...notes.flatMap((n) => ['.br', roff(n)]),
  ];
}

function literal(lines: string): string[] {
  return ['.PP', '.RS 4', '.nf', ...lines.split('\n').map(roff), '.fi', '.RE'];
}

function commandSection(c: CommandSpec): string[] {
  const positionals = c.positionals.filter((p) => p.help !== '' || p.choices);
  return [
    `.SS "${roff(`dlpool ${commandLine(c)}`)}"`,
    roff(c.describe),
    ...(c.isDefault
      ? [
          '.PP',
          `The default command: ${bold('dlpool')} ${italic('URL')} is ${bold('dlpool get')} ${italic('URL')}.`,
        ]
      : []),
    ...positionals.flatMap((p) => [
      '.TP',
      italic(p.name) + (p.array ? '...' : ''),
      roff(p.choices ? `${p.help ? `${p.help}: ` : ''}one of ${p.choices.join(', ')}` : p.help),
    ]),
    ...c.options.flatMap(optionEntry),
    ...(c.examples.length > 0
      ? [
          '.PP',
          'Examples:',
          ...c.examples.flatMap(([cmd, what]) => literal(`${cmd.replace(/\$0/g, 'dlpool')}\n    ${what}`)),
        ]
      : []),
    ...(c.epilog === undefined ? [] : literal(c.epilog)),
  ];
}

/** The page, in man(7) macros. No date: the page of a version is the same whenever it is built. */
export function manPage(commands: readonly CommandSpec[], version: string, description: string): string {
  const dflt = commands.find((c) => c.isDefault);
  return [
    `.TH DLPOOL 1 "" "dlpool ${roff(version)}" "User Commands"`,
    '.SH NAME',
    `dlpool \\- ${roff(description.charAt(0).toLowerCase() + description.slice(1))}`,
    '.SH SYNOPSIS',
    ...(dflt
      ? [
          `${bold('dlpool')} [${bold(dflt.name)}] [${italic('options')}] ${italic('URL')}|${italic('LIST')}|${bold('-')}...`,
          '.br',
        ]
      : []),
    `${bold('dlpool')} ${italic('command')} [${italic('options')}] [${italic('arguments')}]`,
    '.br',
    `${bold('dlpool')} ${bold('--help')} | ${bold('--version')}`,
    '.SH DESCRIPTION',
    roff(
      'dlpool downloads URLs and URL lists concurrently: every file complete under its final name, retried and ' +
        'resumed when the network misbehaves, checked against checksums when given, with an account of what failed ' +
        'and why. Each command below prints its own help with --help.',
    ),
    '.SH COMMANDS',
    ...commands.flatMap(commandSection),
    '.SH "EXIT STATUS"',
    ...(Object.keys(EXIT) as (keyof typeof EXIT)[]).flatMap((k) => [
      '.TP',
      bold(String(EXIT[k])),
      roff(EXIT_MEANING[k]),
    ]),
    '.SH "SEE ALSO"',
    `${bold('sha256sum')}(1), ${bold('aria2c')}(1), ${bold('wget')}(1), ${bold('curl')}(1); the README of the dlpool package`,
    '',
  ].join('\n');
}
