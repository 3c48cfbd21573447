import { describe, expect, it } from 'vitest';
import { defaultText, helpText, type OptionSpec } from '../../../src/cli/command.js';
import { COMMANDS } from '../../../src/cli/commands/index.js';
import { GET_OPTIONS } from '../../../src/cli/commands/get-options.js';
import { normalizeOptions } from '../../../src/options.js';

describe('the command declarations', () => {
  // Each command's table in the docs is generated from its declaration: test/unit/cli/doc-tables.test.ts.

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
