import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { libraryFlag, type OptionSpec } from '../../../src/cli/command.js';
import { GET_OPTIONS } from '../../../src/cli/commands/get-options.js';
import { SPECS } from '../../../src/cli/commands/specs.js';
import { markedTables, withOptionTables } from '../../../src/cli/doc-tables.js';
import { rangeOf } from '../../../src/cli/from-argv.js';
import { DEFAULTS, DOWNLOAD_OPTION_TABLE, DOWNLOAD_RANGES, normalizeOptions } from '../../../src/options.js';

const root = new URL('../../../', import.meta.url);
const pages = [
  'README.md',
  ...fs
    .readdirSync(new URL('docs/', root))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const read = (page: string) => fs.readFileSync(new URL(page, root), 'utf8');

describe('the option tables of the docs', () => {
  it.each(pages)('%s: each marked table is what the declarations give (npm run docs writes it)', (page) => {
    const text = read(page);
    // Compared line by line: a changed row shows as the line to write.
    expect(text.split('\n')).toEqual(withOptionTables(text).split('\n'));
  });

  it('every command with arguments or options has its table marked once, in some page', () => {
    const marked = pages.flatMap((p) => markedTables(read(p)));
    const wanted = SPECS.filter((c) => c.options.length + c.positionals.length > 0).map((c) => c.name);
    expect([...marked].sort()).toEqual([...wanted].sort());
  });

  it('a marker naming no command is an error, not a table left as it was', () => {
    expect(() => withOptionTables('<!-- options:nope -->\n| x |\n<!-- /options:nope -->')).toThrow(
      /no command 'nope'/,
    );
  });
});

describe('a flag that sets a download() option', () => {
  const keyed = (GET_OPTIONS as readonly OptionSpec[]).filter((o) => o.key !== undefined);
  const rowOf = (o: OptionSpec) => DOWNLOAD_OPTION_TABLE[o.key as keyof typeof DOWNLOAD_OPTION_TABLE];

  it("takes its default from the library's row, and says no other where the row has one", () => {
    expect(keyed.length).toBeGreaterThan(30);
    const own: string[] = [];
    for (const o of keyed) {
      const row = rowOf(o);
      if (!('default' in row)) continue;
      // What the flag would say from its row alone.
      const { default: _said, ...rest } = o;
      const fromRow = libraryFlag(o.key!, row, rest as Parameters<typeof libraryFlag>[2]).default;
      if (o.default !== fromRow) own.push(`--${o.flag}: '${o.default}', the row says '${fromRow}'`);
    }
    expect(own).toEqual([]);
    const said = (flag: string) => keyed.find((o) => o.flag === flag)?.default;
    expect([said('insecure'), said('remote-time'), said('connect-timeout'), said('min-split-size')]).toEqual([
      'off',
      'on',
      String(DEFAULTS.connectTimeoutMs / 1000),
      '`16M`',
    ]);
    expect([said('mode'), said('workers'), said('user-agent')]).toEqual([
      '`async`',
      'half the cores',
      '`dlpool/<version>`',
    ]);
  });

  it("is checked by the library's range and choices", () => {
    for (const o of keyed) {
      const row = rowOf(o) as { range?: unknown; choices?: unknown };
      if (row.range !== undefined) expect(rangeOf(o), o.flag).toBe(row.range);
      if (row.choices !== undefined) expect(o.choices, o.flag).toBe(row.choices);
    }
    expect(DOWNLOAD_RANGES.concurrency).toBe(DOWNLOAD_OPTION_TABLE.concurrency.range);
  });

  it('every row is an option normalizeOptions takes, with its default when not given', () => {
    const o = normalizeOptions({ proxy: 'none' }) as unknown as Record<string, unknown>;
    for (const [key, row] of Object.entries(DOWNLOAD_OPTION_TABLE)) {
      expect(() => normalizeOptions({ [key]: undefined }), key).not.toThrow();
      if (row.rule !== 'own' && 'default' in row) expect(o[key], key).toEqual(row.default);
    }
  });
});
