import { describe, expect, it } from 'vitest';
import { errnoText, reasonOf } from '../../src/errno-text.js';

describe('errno in words', () => {
  it('says a system error as coreutils does, and keeps what it has no words for', () => {
    const err = (code: string) => Object.assign(new Error(`${code}: raw, open 'x'`), { code });
    expect(reasonOf(err('EEXIST'))).toBe('File exists');
    expect(reasonOf(err('ENOENT'))).toBe('No such file or directory');
    expect(reasonOf(err('ENOSPC'))).toBe('No space left on device');
    expect(errnoText('EWHATEVER')).toBe('EWHATEVER');
    expect(reasonOf(new Error('not a valid PEM certificate'))).toBe('not a valid PEM certificate');
  });
});
