import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NameRegistry, nameFromUrl, relativeName, sanitizeName, sanitizeSubdir, targetPath } from '../../src/jobs/naming.js';

const u = (s: string) => new URL(s);

describe('nameFromUrl', () => {
  it('takes the last path segment, percent-decoded, ignoring the query', () => {
    expect(nameFromUrl(u('http://h/a/b/file%20name.txt?x=1'))).toBe('file name.txt');
    expect(nameFromUrl(u('http://h/dir/'))).toBe('dir');
    expect(nameFromUrl(u('http://h/'))).toBe('index.html');
    expect(nameFromUrl(u('http://h'))).toBe('index.html');
    expect(nameFromUrl(u('http://h/bad%E0%A4%A.bin'))).toBe('bad%E0%A4%A.bin');
  });
});

describe('sanitizeName', () => {
  it('neutralises separators, traversal and control characters', () => {
    expect(sanitizeName(nameFromUrl(u('http://h/%2e%2e%2f%2e%2e%2fetc%2fpasswd')))).toBe('.._.._etc_passwd');
    expect(sanitizeName('..')).toBe('_');
    expect(sanitizeName('.')).toBe('_');
    expect(sanitizeName('')).toBe('_');
    expect(sanitizeName('a\u0000b\nc\u007fd')).toBe('a_b_c_d');
    expect(sanitizeName('a\\b/c')).toBe('a_b_c');
    expect(sanitizeName('what?<>:"|*.txt')).toBe('what_______.txt');
    expect(sanitizeName('  trailing dots... ')).toBe('trailing dots');
  });

  it('prefixes Windows device names', () => {
    expect(sanitizeName('CON')).toBe('_CON');
    expect(sanitizeName('con.txt')).toBe('_con.txt');
    expect(sanitizeName('LPT9.tar.gz')).toBe('_LPT9.tar.gz');
    expect(sanitizeName('console.txt')).toBe('console.txt');
  });

  it('cuts to 255 UTF-8 bytes without splitting a character, keeping the extension', () => {
    const long = `${'é'.repeat(200)}.tar`;
    const s = sanitizeName(long);
    expect(Buffer.byteLength(s)).toBeLessThanOrEqual(255);
    expect(s.endsWith('.tar')).toBe(true);
    expect(s).not.toContain('\ufffd');
    expect(Buffer.byteLength(sanitizeName('x'.repeat(300)))).toBe(255);
  });
});

describe('sanitizeSubdir and relativeName', () => {
  it('refuses .. and absolute paths, sanitises components', () => {
    expect(() => sanitizeSubdir('../x')).toThrow(/'\.\.' not allowed/);
    expect(() => sanitizeSubdir('a/../../x')).toThrow(/'\.\.' not allowed/);
    expect(() => sanitizeSubdir('/etc')).toThrow(/absolute/);
    expect(() => sanitizeSubdir('C:\\Windows')).toThrow(/absolute/);
    expect(sanitizeSubdir('./a//b\\c')).toBe('a/b/c');
    expect(sanitizeSubdir('a/con')).toBe('a/_con');
  });

  it('builds dir= + out= or the URL name', () => {
    expect(relativeName({ url: u('http://h/x.bin') })).toBe('x.bin');
    expect(relativeName({ url: u('http://h/x.bin'), out: 'y.bin' })).toBe('y.bin');
    expect(relativeName({ url: u('http://h/x.bin'), out: 'a/b.txt', dir: 'top' })).toBe('top/a/b.txt');
    expect(relativeName({ url: u('http://h/x.bin'), dir: 'sub' })).toBe('sub/x.bin');
    expect(() => relativeName({ url: u('http://h/x'), out: '../../evil' })).toThrow(/not allowed/);
    expect(() => relativeName({ url: u('http://h/x'), out: 'dir/' })).toThrow(/names no file/);
  });
});

describe('targetPath', () => {
  it('confines paths to the output directory', () => {
    expect(targetPath('/out', 'a/b')).toBe(path.resolve('/out/a/b'));
    expect(() => targetPath('/out', '../x')).toThrow(/escapes/);
    expect(() => targetPath('/out', '/etc/passwd')).toThrow(/escapes/);
    expect(() => targetPath('/out', '')).toThrow(/escapes/);
  });
});

describe('NameRegistry', () => {
  it('gives later claimants deterministic suffixes before the extension', () => {
    const r = new NameRegistry();
    expect(['f.bin', 'f.bin', 'f.bin', 'noext', 'noext', 'a.tar.gz', 'a.tar.gz', 'd/f.bin', 'd/f.bin'].map((n) => r.claim(n))).toEqual([
      'f.bin',
      'f.1.bin',
      'f.2.bin',
      'noext',
      'noext.1',
      'a.tar.gz',
      'a.1.tar.gz',
      'd/f.bin',
      'd/f.1.bin',
    ]);
  });

  it('skips suffixes already taken and never lets a final name be another file’s .part', () => {
    const r = new NameRegistry();
    expect(r.claim('f.1.bin')).toBe('f.1.bin');
    expect(r.claim('f.bin')).toBe('f.bin');
    expect(r.claim('f.bin')).toBe('f.2.bin');
    expect(r.claim('x.part')).toBe('x.part');
    expect(r.claim('x')).toBe('x.1');
    expect(r.claim('y')).toBe('y');
    expect(r.claim('y.part')).toBe('y.1.part');
  });
});
