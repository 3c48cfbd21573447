import { describe, expect, it } from 'vitest';
import type { OptionSpec } from '../../../src/cli/command.js';
import { GET_OPTIONS as DECLARED } from '../../../src/cli/commands/get-options.js';

const GET_OPTIONS: readonly OptionSpec[] = DECLARED;
import { normalizeOptions } from '../../../src/options.js';

// The README's table of these options is generated from them: test/unit/cli/doc-tables.test.ts.
describe('the table of get options', () => {
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
