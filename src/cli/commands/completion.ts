import { defineCommand, type PositionalSpec } from '../command.js';

// The shells are listed here rather than imported from ../completion.js, which only loads when the command runs.
const positionals = [
  {
    name: 'shell',
    required: true,
    choices: ['bash', 'zsh', 'fish'],
    help: 'the shell to write the script for',
  },
] as const satisfies readonly PositionalSpec[];

export const completionCommand = defineCommand({
  name: 'completion',
  describe: 'print a shell completion script (bash, zsh or fish) for dlpool',
  positionals,
  options: [],
  examples: [
    ['$0 completion bash > ~/.local/share/bash-completion/completions/dlpool', 'bash, for new shells'],
    ['$0 completion zsh > "${fpath[1]}/_dlpool"', 'zsh, into a folder on $fpath'],
    ['$0 completion fish > ~/.config/fish/completions/dlpool.fish', 'fish'],
  ],
});
