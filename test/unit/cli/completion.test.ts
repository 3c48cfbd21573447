import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../../src/cli/commands/index.js';
import { completionScript, flagNames, SHELLS } from '../../../src/cli/completion.js';

// bash runs its script in test/e2e/completion.test.ts; zsh and fish are not installed here, so their scripts are
// checked for what they must hold: every command, every flag of every command, every choice.
describe.each(SHELLS)('dlpool completion %s', (shell) => {
  const script = completionScript(shell, COMMANDS);

  it.each(COMMANDS.map((c) => [c.name, c] as const))('%s: its name, every flag and every choice', (_, c) => {
    expect(script).toMatch(new RegExp(`\\b${c.name}\\b`));
    for (const o of c.options) {
      for (const name of flagNames(o)) {
        const bare = name.replace(/^-+/, '');
        // fish names a flag without its dashes (-s j -l concurrency).
        expect(script).toContain(
          shell === 'fish' ? (name.startsWith('--') ? `-l ${bare}` : `-s ${bare}`) : name,
        );
      }
      for (const choice of o.choices ?? []) expect(script).toMatch(new RegExp(`\\b${choice}\\b`));
    }
    for (const p of c.positionals) for (const choice of p.choices ?? []) expect(script).toContain(choice);
  });
});

describe('a positional that takes a folder (merge DIR)', () => {
  it('completes folders in zsh and fish too', () => {
    expect(completionScript('zsh', COMMANDS)).toContain("'1:dir:_files -/'");
    expect(completionScript('fish', COMMANDS)).toContain(
      "complete -c dlpool -n '__dlpool_command merge' -x -a '(__fish_complete_directories)'",
    );
  });
});
