import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { cookieChoice } from '../../../src/credentials/cookie-access.js';

describe('cookieChoice', () => {
  it('a jar of - is the stdout stream (curl -c -): kept as -, never made a path', () => {
    expect(cookieChoice(undefined, '-', new PassThrough())).toEqual({
      file: undefined,
      literal: undefined,
      jar: '-',
    });
    expect(cookieChoice(undefined, 'jar.txt')?.jar).toBe(path.resolve('jar.txt'));
  });

  it('refuses a jar of - without a stdout stream, or where the body goes (output -)', () => {
    expect(() => cookieChoice(undefined, '-')).toThrow(
      'cookieJar: - writes the cookies to the stream given as stdout, and none was given',
    );
    expect(() => cookieChoice(undefined, '-', new PassThrough(), '-')).toThrow(
      'cookieJar: - writes the cookies to stdout, where output - writes the body',
    );
  });
});
