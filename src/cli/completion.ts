// Shell completion scripts written from the command declarations, so a new command, option or choice completes
// without anyone editing a script. Only what the declarations say is completed: command names, flags, choices,
// files where a FILE or a positional is expected and folders where a DIR is.

import type { CommandSpec, OptionSpec, PositionalSpec } from './command.js';
import { onInterrupt } from './signals.js';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

/** What a flag's value is completed with: its choices, files, folders, or nothing (a number, a URL). */
type ValueCompletion = { words: readonly string[] } | 'file' | 'dir' | 'none';

export function valueCompletion(o: OptionSpec): ValueCompletion {
  if (o.choices) return { words: o.choices };
  if (o.complete !== undefined) return o.complete;
  if (o.value === 'FILE') return 'file';
  if (o.value === 'DIR') return 'dir';
  return 'none';
}

/** What a positional is completed with: its choices, or files unless it takes a folder. */
export function positionalCompletion(p: PositionalSpec): ValueCompletion {
  return p.choices ? { words: p.choices } : (p.complete ?? 'file');
}

/** Every name of an option, as typed: `-j`, `--concurrency`, `--cacert`. */
export function flagNames(o: OptionSpec): string[] {
  return [`--${o.flag}`, ...(o.alias ?? []).map((a) => (a.length === 1 ? `-${a}` : `--${a}`))];
}

/**
 * The `--no-` form of a boolean flag (`--no-remote-time`), which the parser takes as the flag set to false: a
 * default that is on, or a config file's `overwrite`, is turned off on the command line so.
 */
export function negatedName(o: OptionSpec): string | undefined {
  return o.kind === 'boolean' && !o.flag.startsWith('no-') ? `--no-${o.flag}` : undefined;
}

/** Every name of an option as completed: its names and, for a boolean, its `--no-` form. */
function completedNames(o: OptionSpec): string[] {
  const no = negatedName(o);
  return no === undefined ? flagNames(o) : [...flagNames(o), no];
}

/** `'it''s'` for the shells: the one quoting all three read the same way. */
function quote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

const ROOT_FLAGS = ['--help', '-h', '--version', '-V'];

function defaultCommand(commands: readonly CommandSpec[]): CommandSpec {
  return commands.find((c) => c.isDefault) ?? commands[0]!;
}

/**
 * bash: the command is the first word that is not an option (else the default one, as `commandOf` reads a
 * command line); after a flag that takes a value its value is completed, else the command's flags or its
 * positional at that place.
 */
function bash(commands: readonly CommandSpec[]): string {
  const names = commands.map((c) => c.name);
  const cases = (f: (c: CommandSpec) => string[]) =>
    commands.map((c) => `    ${c.name}) ${f(c).join(' ')} ;;`).join('\n');
  const valued = (c: CommandSpec) =>
    c.options.filter((o) => o.kind !== 'boolean').flatMap((o) => flagNames(o));
  const valueCases = commands.flatMap((c) =>
    c.options.flatMap((o) => {
      const v = valueCompletion(o);
      if (o.kind === 'boolean' || v === 'none') return [];
      const what =
        v === 'file'
          ? '_dlpool_files'
          : v === 'dir'
            ? '_dlpool_dirs'
            : `_dlpool_words ${quote(v.words.join(' '))}`;
      return [
        `    ${flagNames(o)
          .map((f) => quote(`${c.name} ${f}`))
          .join('|')}) ${what} ;;`,
      ];
    }),
  );
  // Files unless said otherwise (the last case); an array positional takes every place from its own on.
  const positionalCases = commands.flatMap((c) =>
    c.positionals.flatMap((p, i) => {
      const v = positionalCompletion(p);
      if (v === 'file' || v === 'none') return [];
      const what = v === 'dir' ? '_dlpool_dirs' : `_dlpool_words ${quote(v.words.join(' '))}`;
      const at = p.array ? `${quote(`${c.name} `)}*` : quote(`${c.name} ${i}`);
      return [`    ${at}) ${what} ;;`];
    }),
  );
  return `# dlpool completion for bash, written by \`dlpool completion bash\` from dlpool's command declarations.
# Install: dlpool completion bash > ~/.local/share/bash-completion/completions/dlpool
# (or add  source <(dlpool completion bash)  to ~/.bashrc).

_dlpool_words() { mapfile -t COMPREPLY < <(compgen -W "$1" -- "$cur"); }
_dlpool_files() { compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -f -- "$cur"); }
_dlpool_dirs() { compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -d -- "$cur"); }

# The flags of a command that take a value (the word after one is its value, not a positional).
_dlpool_valued() {
  case $1 in
${cases((c) => ['echo', quote(` ${valued(c).join(' ')} `)])}
  esac
}

_dlpool_flags() {
  case $1 in
${cases((c) => ['echo', quote([...c.options.flatMap(completedNames), '--help', '-h'].join(' '))])}
  esac
}

_dlpool() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev='' cmd='' pos=0 i w skip=''
  ((COMP_CWORD > 0)) && prev=\${COMP_WORDS[COMP_CWORD - 1]}
  # bash splits --mode=threads into --mode, = and threads: the word after = is the flag's value.
  [[ $cur == = ]] && cur='' && prev=\${COMP_WORDS[COMP_CWORD - 1]}
  [[ $prev == = ]] && ((COMP_CWORD > 1)) && prev=\${COMP_WORDS[COMP_CWORD - 2]}
  COMPREPLY=()
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=\${COMP_WORDS[i]}
    if [[ $w == = ]]; then skip=1; continue; fi
    if [[ -n $skip ]]; then skip=''; continue; fi
    if [[ $w == -* ]]; then
      [[ $(_dlpool_valued "\${cmd:-${defaultCommand(commands).name}}") == *" $w "* ]] && skip=1
      continue
    fi
    if [[ -z $cmd ]]; then
      case $w in
        ${names.join('|')}) cmd=$w; continue ;;
        *) cmd=${defaultCommand(commands).name} ;;
      esac
    fi
    pos=$((pos + 1))
  done
  if [[ -n $skip ]]; then
    case "\${cmd:-${defaultCommand(commands).name}} $prev" in
${valueCases.join('\n')}
    esac
    return 0
  fi
  if [[ $cur == -* ]]; then
    local flags
    flags=$(_dlpool_flags "\${cmd:-${defaultCommand(commands).name}}")
    [[ -z $cmd ]] && flags="$flags ${ROOT_FLAGS.join(' ')}"
    _dlpool_words "$flags"
    return 0
  fi
  if [[ -z $cmd ]]; then
    _dlpool_files
    mapfile -t -O \${#COMPREPLY[@]} COMPREPLY < <(compgen -W ${quote(names.join(' '))} -- "$cur")
    return 0
  fi
  case "$cmd $pos" in
${positionalCases.join('\n')}
    *) _dlpool_files ;;
  esac
  return 0
}

complete -F _dlpool dlpool
`;
}

/** A zsh _arguments spec's text inside `[...]`. */
function zshHelp(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/([[\]])/g, '\\$1');
}

function zshOption(o: OptionSpec): string {
  const names = flagNames(o);
  const v = valueCompletion(o);
  const action =
    o.kind === 'boolean'
      ? ''
      : `:${(o.value ?? o.flag).replace(/:/g, '\\:')}:${v === 'file' ? '_files' : v === 'dir' ? '_files -/' : v === 'none' ? ' ' : `(${v.words.join(' ')})`}`;
  const repeat = o.repeat || o.kind === 'headers' ? '*' : '';
  const exclusive = names.length > 1 && !repeat ? `(${names.join(' ')})` : '';
  const spec = (n: string) => `${n}${o.kind === 'boolean' ? '' : n.startsWith('--') ? '=' : '+'}`;
  const body = names.length > 1 ? `{${names.map(spec).join(',')}}` : spec(names[0]!);
  return `${quote(`${exclusive}${repeat}`)}${body}${quote(`[${zshHelp(o.help)}]${action}`)}`;
}

function zshCommand(c: CommandSpec): string {
  const positionals = c.positionals.map((p, i) => {
    const v = positionalCompletion(p);
    const what = v === 'dir' ? '_files -/' : typeof v === 'object' ? `(${v.words.join(' ')})` : '_files';
    return quote(p.array ? `*:${p.name}:${what}` : `${i + 1}:${p.name}:${what}`);
  });
  const negated = c.options.flatMap((o) => {
    const no = negatedName(o);
    return no === undefined
      ? []
      : [`${quote(`(${[...flagNames(o), no].join(' ')})`)}${no}${quote(`[not --${o.flag}]`)}`];
  });
  const specs = [...c.options.map(zshOption), ...negated, `'(- *)'{-h,--help}'[show help]'`, ...positionals];
  return `_dlpool_${c.name.replace(/-/g, '_')}() {\n  _arguments -s -S \\\n    ${specs.join(' \\\n    ')}\n}`;
}

/** zsh: the same reading of the command line, with _arguments per command. */
function zsh(commands: readonly CommandSpec[]): string {
  const dflt = defaultCommand(commands).name;
  const described = commands.map((c) => quote(`${c.name}:${c.describe.replace(/:/g, '\\:')}`)).join(' ');
  return `#compdef dlpool
# dlpool completion for zsh, written by \`dlpool completion zsh\` from dlpool's command declarations.
# Install: dlpool completion zsh > "\${fpath[1]}/_dlpool" (a folder on $fpath), then restart zsh.

${commands.map(zshCommand).join('\n\n')}

_dlpool() {
  local i cmd=''
  for ((i = 2; i < CURRENT; i++)); do
    [[ \${words[i]} == -* ]] && continue
    case \${words[i]} in
      ${commands.map((c) => c.name).join('|')}) cmd=\${words[i]}; words=("\${words[1]}" "\${(@)words[i+1,-1]}"); ((CURRENT -= i - 1)) ;;
      *) cmd=${dflt} ;;
    esac
    break
  done
  if [[ -z $cmd && $PREFIX != -* ]]; then
    local -a subcommands=(${described})
    _describe -t commands command subcommands
    _files
    return
  fi
  _dlpool_\${\${cmd:-${dflt}}//-/_}
}

# Loaded from $fpath the file is the function's body; sourced, it registers the function.
if [[ $funcstack[1] == _dlpool ]]; then
  _dlpool "$@"
else
  compdef _dlpool dlpool
fi
`;
}

/** fish: one `complete` line per option, each under a condition naming the command it belongs to. */
function fish(commands: readonly CommandSpec[]): string {
  const dflt = defaultCommand(commands).name;
  const lines = commands.flatMap((c) => {
    const when = `-n ${quote(`__dlpool_command ${c.name}`)}`;
    const options = c.options.map((o) => {
      const shorts = (o.alias ?? []).filter((a) => a.length === 1).map((a) => `-s ${a}`);
      const longs = [o.flag, ...(o.alias ?? []).filter((a) => a.length > 1)].map((a) => `-l ${a}`);
      const v = valueCompletion(o);
      const value =
        o.kind === 'boolean'
          ? ''
          : v === 'file'
            ? ' -r -F'
            : v === 'dir'
              ? ` -x -a ${quote('(__fish_complete_directories)')}`
              : v === 'none'
                ? ' -x'
                : ` -x -a ${quote(v.words.join(' '))}`;
      const line = `complete -c dlpool ${when} ${[...shorts, ...longs].join(' ')}${value} -d ${quote(o.help)}`;
      const no = negatedName(o);
      return no === undefined
        ? [line]
        : [line, `complete -c dlpool ${when} -l ${no.slice(2)} -d ${quote(`not --${o.flag}`)}`];
    });
    const positionals = c.positionals.flatMap((p) => {
      const v = positionalCompletion(p);
      if (v === 'file' || v === 'none') return [];
      const words = v === 'dir' ? '(__fish_complete_directories)' : v.words.join(' ');
      return [`complete -c dlpool ${when} -x -a ${quote(words)} -d ${quote(p.help || p.name)}`];
    });
    return [`# ${c.name}`, ...options.flat(), ...positionals];
  });
  return `# dlpool completion for fish, written by \`dlpool completion fish\` from dlpool's command declarations.
# Install: dlpool completion fish > ~/.config/fish/completions/dlpool.fish

# True when the command line runs command $argv[1]: its first word that is not an option, else ${dflt}.
function __dlpool_command
    set -l words (commandline -opc)
    for w in $words[2..-1]
        switch $w
            case '-*'
                continue
            case ${commands.map((c) => c.name).join(' ')}
                test "$w" = "$argv[1]"
                return
        end
        break
    end
    test "$argv[1]" = ${dflt}
end

# No command named yet.
function __dlpool_no_command
    for w in (commandline -opc)[2..-1]
        string match -q -- '-*' $w; or return 1
    end
end

${commands.map((c) => `complete -c dlpool -n __dlpool_no_command -a ${c.name} -d ${quote(c.describe)}`).join('\n')}
${lines.join('\n')}
`;
}

/** The completion script for a shell, from the declarations of these commands. */
export function completionScript(shell: Shell, commands: readonly CommandSpec[]): string {
  return shell === 'bash' ? bash(commands) : shell === 'zsh' ? zsh(commands) : fish(commands);
}

export async function runCompletion(a: { shell?: string | undefined }): Promise<void> {
  // Nothing to finish: the first signal ends it, with the code every command ends a signal with.
  const interrupt = onInterrupt(true);
  try {
    const { SPECS: COMMANDS } = await import('./commands/specs.js');
    process.stdout.write(completionScript(a.shell as Shell, COMMANDS));
  } finally {
    interrupt.close();
  }
}
