import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type CommandSpec,
  defaultText,
  helpText,
  type OptionSpec,
  ownOptions,
  readmeRows,
} from '../../../src/cli/command.js';
import { COMMANDS } from '../../../src/cli/commands/index.js';
import { GET_OPTIONS } from '../../../src/cli/commands/get-options.js';
import { normalizeOptions } from '../../../src/options.js';

/** The other commands' tables in docs/commands.md (get's has a test of its own, get-options.test.ts). */
const DOC = fs.readFileSync(new URL('../../../docs/commands.md', import.meta.url), 'utf8');

/** The rows of the table that follows `title`: [argument, default, meaning], cells trimmed. */
function tableAfter(title: string): string[][] {
  const at = DOC.indexOf(title);
  if (at < 0) return [];
  const lines = DOC.slice(at).split('\n');
  const first = lines.findIndex((l) => l.startsWith('|'));
  const end = lines.findIndex((l, i) => i > first && !l.startsWith('|'));
  return lines
    .slice(first, end)
    .filter((l) => l.startsWith('| `'))
    .map((l) =>
      l
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim()),
    );
}

/** The options a command's table lists (worker's: its own; get's are in get's table). */
const listed = (c: CommandSpec) => ownOptions(c, c.name === 'worker' ? GET_OPTIONS : []);

const others = COMMANDS.filter((c) => !c.isDefault && c.options.length + c.positionals.length > 0);

/** The line above a command's table: `dlpool hash` options, or arguments for a command with no options. */
const title = (c: CommandSpec) => `\`dlpool ${c.name}\` ${c.options.length > 0 ? 'options' : 'arguments'}`;

describe('the command declarations', () => {
  it.each(others.map((c) => [c.name, c] as const))(
    '%s: its table in docs/commands.md is its arguments and options, row by row',
    (_, c) => {
      // Compared as Markdown lines: a missing or changed row shows as the line to write.
      const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
      expect(tableAfter(title(c)).map(line)).toEqual(readmeRows(listed(c), c.positionals).map(line));
    },
  );

  it('a default that is one value is declared as that value (defaultValue), which --help and the README say', () => {
    // Words that say a behaviour, not a value the option takes.
    const said = ['', 'off', 'unlimited', 'all'];
    const asText = COMMANDS.flatMap((c) =>
      c.options
        .filter((o) => !(GET_OPTIONS as readonly OptionSpec[]).includes(o))
        .filter((o) => o.default !== undefined && !said.includes(o.default) && !/\s/.test(o.default))
        .map((o) => `${c.name} --${o.flag} '${o.default ?? ''}'`),
    );
    expect(asText).toEqual([]);
    for (const c of COMMANDS)
      for (const o of c.options.filter((x) => x.defaultValue !== undefined)) {
        expect(helpText(o), `${c.name} --${o.flag}`).toMatch(new RegExp(` \\[${String(o.defaultValue)}\\]$`));
        expect(defaultText(o)).toBe(String(o.defaultValue));
      }
  });

  it.each(COMMANDS.map((c) => [c.name, c] as const))('%s: every flag and alias once', (_, c) => {
    const names = c.options.flatMap((o) => [o.flag, ...(o.alias ?? [])]);
    expect(new Set(names).size).toBe(names.length);
  });

  it('every library key of get is an option download() knows, and worker takes every get option', () => {
    const worker = COMMANDS.find((c) => c.name === 'worker')!;
    expect(GET_OPTIONS.every((o) => worker.options.includes(o as OptionSpec))).toBe(true);
    const keys = (GET_OPTIONS as readonly OptionSpec[]).flatMap((o) => (o.key === undefined ? [] : [o.key]));
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(() => normalizeOptions({ [key]: undefined }), key).not.toThrow();
  });
});
