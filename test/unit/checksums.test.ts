import { describe, expect, it } from 'vitest';
import { escapeName, manifestLine, parseChecksumLine } from '../../src/verify/checksums.js';

const H64 = 'ab'.repeat(32);

describe('parseChecksumLine', () => {
  it('reads GNU coreutils lines, text and binary mode, algorithm from the digest length', () => {
    expect(parseChecksumLine(`${H64}  dir/a file.bin`, 1)).toEqual({
      name: 'dir/a file.bin',
      line: 1,
      algorithm: 'sha256',
      hex: H64,
    });
    expect(parseChecksumLine(`${'CD'.repeat(20)} *b.iso`, 2)).toMatchObject({
      name: 'b.iso',
      algorithm: 'sha1',
      hex: 'cd'.repeat(20),
    });
    expect(parseChecksumLine(`${'0'.repeat(32)}  m`, 3)).toMatchObject({ algorithm: 'md5' });
    expect(parseChecksumLine(`${'0'.repeat(128)}  s`, 4)).toMatchObject({ algorithm: 'sha512' });
  });

  it('reads BSD tag lines', () => {
    expect(parseChecksumLine(`SHA256 (x (1).bin) = ${H64}`, 1)).toEqual({
      name: 'x (1).bin',
      line: 1,
      algorithm: 'sha256',
      hex: H64,
    });
    expect(parseChecksumLine(`MD5 (m) = ${'1'.repeat(32)}`, 1)).toMatchObject({ algorithm: 'md5' });
  });

  it('reads the escaped form coreutils writes for names with backslashes or newlines', () => {
    expect(parseChecksumLine(`\\${H64}  a\\\\b\\nc`, 1)).toMatchObject({ name: 'a\\b\nc' });
    expect(parseChecksumLine(`\\SHA256 (a\\nb) = ${H64}`, 1)).toMatchObject({ name: 'a\nb' });
  });

  it('accepts CRLF line ends and a BOM on the first line', () => {
    expect(parseChecksumLine(`\ufeff${H64}  a.bin\r`, 1)).toMatchObject({ name: 'a.bin', hex: H64 });
    expect(parseChecksumLine(`SHA256 (b) = ${H64}\r`, 2)).toMatchObject({ name: 'b', hex: H64 });
  });

  it('skips blanks and comments, reports bad lines', () => {
    expect(parseChecksumLine('', 1)).toBeUndefined();
    expect(parseChecksumLine('# comment', 1)).toBeUndefined();
    expect(parseChecksumLine('nonsense', 7)).toMatchObject({
      line: 7,
      message: expect.stringMatching(/not a checksum line/),
    });
    expect(parseChecksumLine(`${'a'.repeat(30)}  x`, 2)).toMatchObject({
      message: expect.stringMatching(/30 hex digits/),
    });
    expect(parseChecksumLine(`FOO (x) = ${H64}`, 3)).toMatchObject({
      message: expect.stringMatching(/unknown checksum tag/),
    });
  });
});

describe('manifest lines', () => {
  it('round-trip through the parser, escaped when needed', () => {
    for (const name of ['plain.bin', 'with space', 'back\\slash', 'new\nline']) {
      const line = manifestLine(H64, name).replace(/\n$/, '');
      expect(parseChecksumLine(line, 1)).toMatchObject({ name, hex: H64 });
    }
    expect(escapeName('a\\b')).toEqual({ escaped: true, name: 'a\\\\b' });
  });
});
