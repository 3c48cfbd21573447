import { Cookie } from 'tough-cookie';
import { describe, expect, it } from 'vitest';
import { formatCookieFile, parseCookieFile } from '../../../src/credentials/cookie-file.js';

describe('Netscape cookie files', () => {
  it('reads #HttpOnly_, subdomain flags, session and dated expiry, CRLF; names the lines that are no cookies', () => {
    const text =
      '# Netscape HTTP Cookie File\r\n\r\n.example.com\tTRUE\t/\tTRUE\t2000000000\ta\t1\r\n' +
      '#HttpOnly_h.org\tFALSE\t/p\tFALSE\t0\tb\t\r\nh.org\tFALSE\t/\tFALSE\t0\tc\n' +
      'bad\tline\nh.org\tFALSE\tnoslash\tFALSE\t0\td\tv\n';
    const { cookies, bad } = parseCookieFile(text);
    expect(
      cookies.map(({ cookie: c, line }) => [
        line,
        c.domain,
        c.hostOnly,
        c.path,
        c.secure,
        c.httpOnly,
        c.key,
        c.value,
      ]),
    ).toEqual([
      [3, 'example.com', false, '/', true, false, 'a', '1'],
      [4, 'h.org', true, '/p', false, true, 'b', ''],
      [5, 'h.org', true, '/', false, false, 'c', ''],
    ]);
    expect(cookies[0]!.cookie.expiryTime()).toBe(2_000_000_000_000);
    expect(cookies[1]!.cookie.expiryTime()).toBe(Infinity);
    expect(bad.map((b) => b.line)).toEqual([6, 7]);
  });

  it('writes what it reads back, line for line', () => {
    const lines = [
      '.example.com\tTRUE\t/\tTRUE\t2000000000\ta\t1',
      '#HttpOnly_h.org\tFALSE\t/p\tFALSE\t0\tb\tx y',
    ];
    const out = formatCookieFile(
      parseCookieFile(lines.join('\n')).cookies.map((c) => c.cookie),
      '1.0.0',
    );
    expect(out.split('\n').filter((l) => l !== '' && !l.startsWith('# '))).toEqual(lines);
    expect(out.startsWith('# Netscape HTTP Cookie File\n')).toBe(true);
  });

  it('leaves out a cookie whose path holds a tab (a server may set one): its line would not read back', () => {
    const tab = new Cookie({ key: 'a', value: '1', domain: 'h', path: '/x\ty', hostOnly: true });
    const ok = new Cookie({ key: 'b', value: '2', domain: 'h', path: '/', hostOnly: true });
    const out = formatCookieFile([tab, ok], '1.0.0');
    expect(out.split('\n').filter((l) => l !== '' && !l.startsWith('# '))).toEqual([
      'h\tFALSE\t/\tFALSE\t0\tb\t2',
    ]);
  });
});
