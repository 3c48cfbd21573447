import { describe, expect, it } from 'vitest';
import { hashCommand } from '../../../src/cli/commands/hash.js';
import { getCommand } from '../../../src/cli/commands/get.js';
import { asTyped } from '../../../src/cli/usage.js';

describe('asTyped', () => {
  it("says a library option's error with the flag as typed, the last spelling given", () => {
    const tokens = ['--concurrency', '4', 'u', '-j', '0'];
    expect(asTyped('concurrency: expected a whole number from 1 to 10000, got 0', tokens, getCommand)).toBe(
      '-j: expected a whole number from 1 to 10000, got 0',
    );
    expect(asTyped('perHost: bad', ['--per-host=0'], getCommand)).toBe('--per-host: bad');
  });

  it('names an option given by no flag (a default the library refused) by its long flag', () => {
    expect(asTyped('hash: unknown', [], getCommand)).toBe('--hash: unknown');
  });

  it("maps another command's library names too (hashFiles' algorithm is hash's --algo)", () => {
    expect(asTyped("algorithm: unknown or unavailable algorithm 'x'", ['--algo', 'x'], hashCommand)).toBe(
      "--algo: unknown or unavailable algorithm 'x'",
    );
  });

  it('leaves words that are no option alone, and stops at --', () => {
    expect(asTyped('sources: give at least one URL', [], getCommand)).toBe('sources: give at least one URL');
    expect(asTyped('--dir: bad', ['-d', 'a', '--', '--dir'], getCommand)).toBe('-d: bad');
  });
});
