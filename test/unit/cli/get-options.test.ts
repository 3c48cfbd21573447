import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultText, type OptionSpec, readmeName } from '../../../src/cli/command.js';
import { GET_OPTIONS as DECLARED } from '../../../src/cli/commands/get-options.js';

const GET_OPTIONS: readonly OptionSpec[] = DECLARED;
import { normalizeOptions } from '../../../src/options.js';

const README = fs.readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

/** The rows of the README's table of `dlpool get` options: [option, default, meaning], cells trimmed. */
function readmeRows(): string[][] {
  const section = README.slice(README.indexOf('## Options (`dlpool get`'));
  const table = section.slice(0, section.indexOf('\n\n', section.indexOf('| option')));
  return table
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .map((l) =>
      l
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim()),
    )
    .filter(([name]) => !name!.startsWith('`SOURCE'));
}

describe('the table of get options', () => {
  it('is the README table, row by row: names, defaults and meanings', () => {
    const fromTable = GET_OPTIONS.map((o) => [readmeName(o), defaultText(o), o.doc]);
    // Compared as Markdown lines: a missing or changed row shows as the line to write.
    const line = (cells: readonly (string | undefined)[]) => `| ${cells.join(' | ')} |`;
    expect(readmeRows().map(line)).toEqual(fromTable.map(line));
  });

  it('sets only options the library knows, each from one flag', () => {
    const keys = GET_OPTIONS.flatMap((o) => (o.key ? [o.key] : []));
    expect(new Set(keys).size).toBe(keys.length);
    for (const key of keys) {
      // An unknown key is a usage error ("KEY: unknown option"); a known one with no value is its default.
      expect(() => normalizeOptions({ [key]: undefined }), key).not.toThrow();
    }
    expect(() => normalizeOptions({ ['nope' as 'dir']: undefined })).toThrow(/nope: unknown option/);
  });

  it('gives every flag and alias once', () => {
    const names = GET_OPTIONS.flatMap((o) => [o.flag, ...(o.alias ?? [])]);
    expect(new Set(names).size).toBe(names.length);
  });
});
