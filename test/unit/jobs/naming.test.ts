import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UnsafeNameError } from '../../../src/errors.js';
import {
  NameRegistry,
  nameFromUrl,
  relativeName,
  sanitizeName,
  sanitizeSubdir,
  settledName,
  targetPath,
  checkInside,
} from '../../../src/jobs/naming.js';

const u = (s: string) => new URL(s);
const bytes = (s: string) => Buffer.byteLength(s);

describe('nameFromUrl', () => {
  it('takes the last path segment, percent-decoded, ignoring the query', () => {
    expect(nameFromUrl(u('http://h/a/b/file%20name.txt?x=1'))).toBe('file name.txt');
    expect(nameFromUrl(u('http://h/a/r%C3%A9sum%C3%A9.pdf#frag'))).toBe('résumé.pdf');
    expect(nameFromUrl(u('http://h/a/résumé.pdf'))).toBe('résumé.pdf');
    expect(nameFromUrl(u('http://h/dir/'))).toBe('dir');
    expect(nameFromUrl(u('http://h/a//b//'))).toBe('b');
  });

  it('falls back to index.html', () => {
    expect(nameFromUrl(u('http://h/'))).toBe('index.html');
    expect(nameFromUrl(u('http://h'))).toBe('index.html');
    expect(nameFromUrl(u('http://h/?file=x.bin'))).toBe('index.html');
    expect(nameFromUrl(u('http://h/a/..'))).toBe('index.html');
  });

  it('keeps escapes that do not decode, and decodes the ones around them', () => {
    expect(nameFromUrl(u('http://h/bad%E0%A4%A.bin'))).toBe('bad%E0%A4%A.bin');
    expect(nameFromUrl(u('http://h/%zz%41'))).toBe('%zzA');
    expect(nameFromUrl(u('http://h/%C3%A9%FF%41'))).toBe('é%FFA');
  });
});

describe('sanitizeName', () => {
  it('neutralises separators, traversal and control characters', () => {
    expect(nameFromUrl(u('http://h/%2e%2e%2f%2e%2e%2fetc%2fpasswd'))).toBe('../../etc/passwd');
    expect(sanitizeName(nameFromUrl(u('http://h/%2e%2e%2f%2e%2e%2fetc%2fpasswd')))).toBe('.._.._etc_passwd');
    expect(sanitizeName(nameFromUrl(u('http://h/..%5C..%5Cwin.ini')))).toBe('.._.._win.ini');
    expect(sanitizeName(nameFromUrl(u('http://h/a%00b.txt')))).toBe('a_b.txt');
    expect(sanitizeName('..')).toBe('_');
    expect(sanitizeName('.')).toBe('_');
    expect(sanitizeName('')).toBe('_');
    expect(sanitizeName('   ')).toBe('_');
    expect(sanitizeName('a\u0000b\nc\u007fd\u0085e\u001bf')).toBe('a_b_c_d_e_f');
    expect(sanitizeName('a\\b/c')).toBe('a_b_c');
    expect(sanitizeName('what?<>:"|*.txt')).toBe('what_______.txt');
    expect(sanitizeName('  trailing dots... ')).toBe('trailing dots');
    expect(sanitizeName('.hidden')).toBe('.hidden');
    expect(sanitizeName('x\ud800y')).toBe('x_y');
  });

  it('prefixes Windows device names', () => {
    expect(sanitizeName('CON')).toBe('_CON');
    expect(sanitizeName('CON.txt')).toBe('_CON.txt');
    expect(sanitizeName('con.txt')).toBe('_con.txt');
    expect(sanitizeName('nul .txt')).toBe('_nul .txt');
    expect(sanitizeName('Com1.log')).toBe('_Com1.log');
    expect(sanitizeName('LPT9.tar.gz')).toBe('_LPT9.tar.gz');
    expect(sanitizeName('aux.')).toBe('_aux');
    expect(sanitizeName('console.txt')).toBe('console.txt');
    expect(sanitizeName('com10')).toBe('com10');
  });

  it('prefixes the names dlpool keeps for itself: no download is named like its folder or its private files', () => {
    expect(sanitizeName('.dlpool')).toBe('_.dlpool');
    expect(sanitizeName('.DLPool')).toBe('_.DLPool');
    expect(sanitizeName('.dlpool-part-0123456789abcdef')).toBe('_.dlpool-part-0123456789abcdef');
    expect(sanitizeName('.Dlpool-Part-x')).toBe('_.Dlpool-Part-x');
    expect(sanitizeName('.dlpool-parts')).toBe('.dlpool-parts');
    expect(sanitizeName('x.dlpool-part-1')).toBe('x.dlpool-part-1');
  });

  it('cuts to 245 UTF-8 bytes without splitting a character, keeping a short extension', () => {
    const long = `${'é'.repeat(200)}.tar`;
    const s = sanitizeName(long);
    expect(bytes(s)).toBe(244); // 120 × 2-byte é + '.tar': one more é would not fit
    expect(s).toBe(`${'é'.repeat(120)}.tar`);
    expect(bytes(sanitizeName('x'.repeat(300)))).toBe(245);

    const emoji = sanitizeName(`${'😀'.repeat(100)}.json`); // 4-byte characters
    expect(emoji).toBe(`${'😀'.repeat(60)}.json`);
    expect(bytes(emoji)).toBeLessThanOrEqual(245);
    expect(emoji).not.toContain('\ufffd');

    const longExt = sanitizeName(`a.${'b'.repeat(300)}`);
    expect(bytes(longExt)).toBe(245);
    expect(longExt.startsWith('a.bbb')).toBe(true);

    const mixed = sanitizeName(`${'ab€'.repeat(60)}.tar.gz`);
    expect(bytes(mixed)).toBeLessThanOrEqual(245);
    expect(mixed.endsWith('.gz')).toBe(true);
    expect(Buffer.from(mixed).toString()).toBe(mixed);
  });
});

describe('sanitizeSubdir and relativeName', () => {
  it('refuses .. and absolute paths, naming the input', () => {
    expect(() => sanitizeSubdir('../x')).toThrow(UnsafeNameError);
    expect(() => sanitizeSubdir('../x')).toThrow(`dir "../x": '..' not allowed`);
    expect(() => sanitizeSubdir('a/../../x')).toThrow(/'\.\.' not allowed/);
    expect(() => sanitizeSubdir('a\\..\\x')).toThrow(/'\.\.' not allowed/);
    expect(() => sanitizeSubdir('/abs')).toThrow(`dir "/abs": absolute path not allowed`);
    expect(() => sanitizeSubdir('\\\\server\\share')).toThrow(/absolute/);
    expect(() => sanitizeSubdir('C:\\Windows')).toThrow(/absolute/);
    expect(() => sanitizeSubdir('c:rel')).toThrow(/absolute/);
  });

  it('sanitises components into a relative posix path', () => {
    expect(sanitizeSubdir('./a//b\\c')).toBe('a/b/c');
    expect(sanitizeSubdir('a/con')).toBe('a/_con');
    expect(sanitizeSubdir('a/.../b:c')).toBe('a/_/b_c');
    expect(sanitizeSubdir('')).toBe('');
    expect(sanitizeSubdir('./')).toBe('');
  });

  it('builds dir= + out= or the URL name', () => {
    expect(relativeName({ url: u('http://h/x.bin') })).toBe('x.bin');
    expect(relativeName({ url: u('http://h/') })).toBe('index.html');
    expect(relativeName({ url: u('http://h/x.bin'), out: 'y.bin' })).toBe('y.bin');
    expect(relativeName({ url: u('http://h/x.bin'), out: 'a/b.txt' })).toBe('a/b.txt');
    expect(relativeName({ url: u('http://h/x.bin'), out: 'a/b.txt', dir: 'top' })).toBe('top/a/b.txt');
    expect(relativeName({ url: u('http://h/x.bin'), out: 'a\\con.txt' })).toBe('a/_con.txt');
    expect(relativeName({ url: u('http://h/x.bin'), out: 'y.' })).toBe('y');
    expect(relativeName({ url: u('http://h/x.bin'), dir: 'sub' })).toBe('sub/x.bin');
    expect(relativeName({ url: u('http://h/%2e%2e%2fx.bin'), dir: 'sub' })).toBe('sub/.._x.bin');
  });

  it('refuses out= and dir= that leave the output directory or name no file', () => {
    expect(() => relativeName({ url: u('http://h/x'), out: '../../evil' })).toThrow(/not allowed/);
    expect(() => relativeName({ url: u('http://h/x'), out: '/etc/passwd' })).toThrow(/absolute/);
    expect(() => relativeName({ url: u('http://h/x'), out: '/passwd' })).toThrow(/absolute/);
    expect(() => relativeName({ url: u('http://h/x'), dir: '../x' })).toThrow(/'\.\.' not allowed/);
    expect(() => relativeName({ url: u('http://h/x'), dir: '/abs' })).toThrow(/absolute/);
    expect(() => relativeName({ url: u('http://h/x'), out: 'dir/' })).toThrow(/names no file/);
    expect(() => relativeName({ url: u('http://h/x'), out: 'dir/.' })).toThrow(/names no file/);
  });
});

describe('settledName', () => {
  it('keeps every name the rules and the registry give, suffixes and sub-directories included', () => {
    const r = new NameRegistry();
    const urls = [
      'http://h/a/CON.txt',
      'http://h/%1B%07x.bin',
      `http://h/${'é'.repeat(200)}.tar.gz`,
      'http://h/',
    ];
    for (const url of [...urls, ...urls]) {
      const given = r.claim(relativeName({ url: u(url), dir: 'd\\e' }));
      expect(settledName(given)).toBe(given);
    }
    expect(settledName('.bashrc.1')).toBe('.bashrc.1');
  });

  it('refuses what the rules would change or refuse, naming it with its control characters escaped', () => {
    const bad: [string, RegExp][] = [
      ['esc\x1b[31mbel\x07.bin', /settled name "esc\\u001b\[31mbel\\u0007\.bin": not a name dlpool gives/],
      ['CON', /the name rules make it "_CON"/],
      ['sub/nul.txt', /"sub\/_nul\.txt"/],
      ['../outside.txt', /'\.\.' not allowed/],
      ['a/../../b', /'\.\.' not allowed/],
      ['/etc/passwd', /absolute/],
      ['C:\\x.bin', /absolute/],
      ['a\\b.bin', /make it "a\/b\.bin"/],
      ['./a.bin', /make it "a\.bin"/],
      ['a//b.bin', /make it "a\/b\.bin"/],
      ['dir/', /names no file/],
      ['', /names no file/],
      ['trailing.', /make it "trailing"/],
      ['x'.repeat(246), /not a name dlpool gives/],
      ['\uD800.bin', /make it "_\.bin"/],
    ];
    for (const [name, why] of bad) {
      expect(() => settledName(name), JSON.stringify(name)).toThrow(UnsafeNameError);
      expect(() => settledName(name), JSON.stringify(name)).toThrow(why);
    }
  });
});

describe('sanitizeName and bidi characters', () => {
  it('replaces bidi overrides, isolates and line separators, so a name shows as what it is', () => {
    expect(sanitizeName('\u202etxt.exe')).toBe('_txt.exe');
    expect(sanitizeName('a\u2066b\u2069c\u2028d')).toBe('a_b_c_d');
  });
});

describe('targetPath', () => {
  it('confines paths to the output directory', () => {
    expect(targetPath('/out', 'a/b')).toBe(path.resolve('/out/a/b'));
    expect(targetPath('out', 'x')).toBe(path.resolve('out', 'x'));
    expect(targetPath('/out', '..x')).toBe(path.resolve('/out/..x'));
    expect(() => targetPath('/out', '../x')).toThrow(/escapes/);
    expect(() => targetPath('/out', 'a/../../x')).toThrow(/escapes/);
    expect(() => targetPath('/out', '/etc/passwd')).toThrow(UnsafeNameError);
    expect(() => targetPath('/out', '../outside/x')).toThrow(/escapes/);
    expect(() => targetPath('/out', '')).toThrow(/escapes/);
    expect(() => targetPath('/out', '.')).toThrow(/escapes/);
    // A sibling whose name starts with the output directory's is outside it.
    expect(() => targetPath('/out', '../out2/x')).toThrow(/escapes/);
    expect(targetPath('/', 'a')).toBe(path.resolve('/a'));
  });

  it('checkInside says the same without building the path', () => {
    for (const ok of ['a/b', 'x', '..x', 'a..', 'a/.b', 'a/b..c/d'])
      expect(() => checkInside('/out', ok)).not.toThrow();
    for (const bad of ['../x', 'a/../../x', '/etc/passwd', '../outside/x', '', '.', './', '../out2/x']) {
      expect(() => checkInside('/out', bad), bad).toThrow(UnsafeNameError);
    }
  });
});

describe('NameRegistry', () => {
  it('gives later claimants deterministic suffixes before the extension', () => {
    const r = new NameRegistry();
    const names = ['f.bin', 'f.bin', 'f.bin', 'noext', 'noext', 'a.tar.gz', 'a.tar.gz', 'd/f.bin', 'd/f.bin'];
    expect(names.map((n) => r.claim(n))).toEqual([
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
    expect(
      ['x.y.z', 'x.y.z', '.bashrc', '.bashrc', 'b.tar.zst', 'b.tar.zst', 'c.tar', 'c.tar'].map((n) =>
        r.claim(n),
      ),
    ).toEqual(['x.y.z', 'x.y.1.z', '.bashrc', '.bashrc.1', 'b.tar.zst', 'b.1.tar.zst', 'c.tar', 'c.1.tar']);
  });

  it('gives the same names in a second run with the same claims', () => {
    const claims = ['i.html', 'i.html', 'i.1.html', 'i.html', 'I.HTML'];
    const a = new NameRegistry();
    const b = new NameRegistry();
    expect(claims.map((c) => a.claim(c))).toEqual(claims.map((c) => b.claim(c)));
    expect(claims.map((c) => new NameRegistry().claim(c))).toEqual(claims);
  });

  it('skips suffixes already taken and never lets a final name be another file’s .part', () => {
    const r = new NameRegistry();
    expect(r.claim('f.1.bin')).toBe('f.1.bin');
    expect(r.claim('f.bin')).toBe('f.bin');
    expect(r.claim('f.bin')).toBe('f.2.bin');
    expect(r.claim('f.bin')).toBe('f.3.bin');
    expect(r.claim('x.part')).toBe('x.part');
    expect(r.claim('x')).toBe('x.1');
    expect(r.claim('y')).toBe('y');
    expect(r.claim('y.part')).toBe('y.1.part');
  });

  it('reserves NAME.part and NAME.part.meta, as names and as directories, without storing them', () => {
    const r = new NameRegistry();
    expect(r.claim('y')).toBe('y');
    expect(r.claim('y.part.meta')).toBe('y.part.1.meta');
    expect(() => r.claim('y.part/a')).toThrow(UnsafeNameError);
    expect(() => r.claim('y.part.meta/a')).toThrow(UnsafeNameError);
    expect(r.claim('d.part/x')).toBe('d.part/x');
    expect(r.claim('d')).toBe('d.1');
    expect(r.claim('m.part.meta')).toBe('m.part.meta');
    expect(r.claim('m')).toBe('m.1');
  });

  it('names exactly as a registry that stores every .part and .part.meta would', () => {
    // The registry used to store three strings per claim; it now derives two of them. Same answers.
    const model = new Set<string>();
    const free = (k: string) =>
      ![k, `${k}.part`, `${k}.part.meta`, `${k}/`, `${k}.part/`].some((x) => model.has(x));
    const modelClaim = (rel: string): string => {
      const parts = rel.split('/');
      for (let i = 1; i < parts.length; i++) {
        if (model.has(parts.slice(0, i).join('/').toLowerCase())) return 'throws';
      }
      const dir = parts.slice(0, -1).join('/');
      const base = parts.at(-1)!;
      const dot = base.lastIndexOf('.');
      const [stem, ext] = dot > 0 ? [base.slice(0, dot), base.slice(dot)] : [base, ''];
      let c = rel;
      for (let n = 1; !free(c.toLowerCase()); n++) c = `${dir ? `${dir}/` : ''}${stem}.${n}${ext}`;
      const k = c.toLowerCase();
      for (const x of [k, `${k}.part`, `${k}.part.meta`]) model.add(x);
      for (let i = 1; i < parts.length; i++) model.add(`${parts.slice(0, i).join('/').toLowerCase()}/`);
      return c;
    };
    const r = new NameRegistry();
    const pieces = ['a', 'b', 'a.part', 'b.part.meta', 'a.part.meta', 'A', 'a.part/x', 'b/y', 'a/z'];
    let seed = 7;
    for (let i = 0; i < 400; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const rel = pieces[seed % pieces.length]!;
      let got: string;
      try {
        got = r.claim(rel);
      } catch {
        got = 'throws';
      }
      expect(`${rel} -> ${got}`).toBe(`${rel} -> ${modelClaim(rel)}`);
    }
  });

  it('treats names differing only in case or normalisation as the same file', () => {
    const r = new NameRegistry();
    expect(r.claim('Readme.TXT')).toBe('Readme.TXT');
    expect(r.claim('readme.txt')).toBe('readme.1.txt');
    expect(r.claim('caf\u00e9')).toBe('caf\u00e9');
    expect(r.claim('cafe\u0301')).toBe('cafe\u0301.1');
  });

  it('keeps file names and directory names of one run apart', () => {
    const r = new NameRegistry();
    expect(r.claim('d/x.bin')).toBe('d/x.bin');
    expect(r.claim('d')).toBe('d.1');
    expect(r.claim('f')).toBe('f');
    expect(() => r.claim('f/x.bin')).toThrow(UnsafeNameError);
  });

  it('stays within 245 bytes when adding a suffix', () => {
    const r = new NameRegistry();
    const long = `${'x'.repeat(241)}.bin`;
    expect(r.claim(long)).toBe(long);
    const second = r.claim(long);
    expect(second).toBe(`${'x'.repeat(239)}.1.bin`);
    expect(bytes(second)).toBe(245);
  });

  it('counts on quickly for many identical names', () => {
    const r = new NameRegistry();
    let last = '';
    for (let i = 0; i < 20_000; i++) last = r.claim('index.html');
    expect(last).toBe('index.19999.html');
  });
});
