import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultText, type OptionSpec, portableHelp, readmeName } from '../../../src/cli/command.js';
import { GET_OPTIONS as DECLARED } from '../../../src/cli/commands/get-options.js';

const GET_OPTIONS: readonly OptionSpec[] = DECLARED;
import { normalizeOptions } from '../../../src/options.js';

const read = (p: string) => fs.readFileSync(new URL(`../../../${p}`, import.meta.url), 'utf8');

/** The `| \`...` rows of the first table after `title` in `text`: [option, default, meaning], cells trimmed. */
function rowsAfter(text: string, title: string): string[][] {
  const at = text.indexOf(title);
  expect(at, title).toBeGreaterThan(0);
  const lines = text.slice(at).split('\n');
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
    )
    .filter(([name]) => !name!.startsWith('`SOURCE'));
}

/** Compared as Markdown lines: a missing or changed row shows as the line to write. */
const line = (cells: readonly (string | undefined)[]) => `| ${cells.join(' | ')} |`;

// The full tables are generated from the declarations: test/unit/cli/doc-tables.test.ts.
describe('the table of get options', () => {
  it("the README's shorter table: each row an option's name, default and --help line, each option once", () => {
    const cells = rowsAfter(read('README.md'), '## Options (`dlpool get`');
    expect(cells.length).toBeGreaterThan(10);
    const byName = new Map(
      GET_OPTIONS.map((o) => [
        readmeName(o),
        line([readmeName(o), defaultText(o), portableHelp(o).replace(/\|/g, '\\|')]),
      ]),
    );
    const named = cells.map(([name]) => name!);
    const rows = cells.map(line);
    expect(new Set(named).size).toBe(named.length);
    expect(rows).toEqual(named.map((n) => byName.get(n) ?? `(no option ${n})`));
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
