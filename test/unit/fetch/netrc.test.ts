import { describe, expect, it } from 'vitest';
import { authorizationFor } from '../../../src/credentials/authorization.js';
import os from 'node:os';
import { loadNetrc, netrcEntryFor, parseNetrc } from '../../../src/credentials/netrc.js';

const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;

describe('parseNetrc', () => {
  it('reads machine, default, login, password over any lines; skips macdef bodies, account and comments', () => {
    const text =
      '# a comment\nmachine Example.COM\nlogin\nann password "p w\\"x"\naccount acc\n' +
      'macdef init\nmachine inside-macro login no\n\nmachine b.org login bob password bp default login anon\n';
    expect(parseNetrc(text, 'F')).toEqual([
      { machine: 'example.com', login: 'ann', password: 'p w"x' },
      { machine: 'b.org', login: 'bob', password: 'bp' },
      { machine: undefined, login: 'anon', password: undefined },
    ]);
  });

  it('names FILE:LINE for a bad token, a missing value, an open quote, a login before any machine', () => {
    expect(() => parseNetrc('machine a\n\nlgin x', 'F')).toThrow("F:3: unknown token 'lgin'");
    expect(() => parseNetrc('machine a login', 'F')).toThrow("F:1: 'login' needs a value");
    expect(() => parseNetrc('machine a\nlogin "x', 'F')).toThrow('F:2: a quoted token is not closed');
    expect(() => parseNetrc('login x', 'F')).toThrow("F:1: 'login' before any 'machine' or 'default'");
  });
});

describe('netrcEntryFor and authorizationFor', () => {
  const entries = parseNetrc(
    'machine h login ann password a1\nmachine h login cy password c1\nmachine [::1] login six password s\ndefault login anon password g',
    'F',
  );
  it('the first machine of the host (port aside), else default; a URL user picks its login', () => {
    expect(netrcEntryFor(entries, new URL('http://H:8080/x'))?.login).toBe('ann');
    expect(netrcEntryFor(entries, new URL('http://cy@h/x'))?.password).toBe('c1');
    expect(netrcEntryFor(entries, new URL('http://other/x'))?.login).toBe('anon');
    expect(netrcEntryFor(entries, new URL('http://nobody@h/x'))).toBeUndefined();
  });
  it("a URL's user:pass wins; a URL user alone takes its netrc password; none without either", () => {
    expect(authorizationFor(new URL('http://u:p@h/'), entries)).toBe(basic('u:p'));
    expect(authorizationFor(new URL('http://cy@h/'), entries)).toBe(basic('cy:c1'));
    expect(authorizationFor(new URL('http://h/'), entries)).toBe(basic('ann:a1'));
    expect(authorizationFor(new URL('http://h/'), undefined)).toBeUndefined();
    expect(authorizationFor(new URL('http://u@h/'), undefined)).toBe(basic('u:'));
  });
});

describe('loadNetrc', () => {
  it('reads the null device as an empty netrc (curl --netrc-file /dev/null), with no warning', async () => {
    const said: unknown[] = [];
    await expect(loadNetrc({ file: os.devNull, required: true }, (e) => said.push(e))).resolves.toEqual([]);
    expect(said).toEqual([]);
  });

  it('still refuses another device or a folder', async () => {
    await expect(loadNetrc({ file: '/dev/zero', required: true }, () => {})).rejects.toThrow(
      /not a regular file/,
    );
    await expect(loadNetrc({ file: os.tmpdir(), required: true }, () => {})).rejects.toThrow(
      /not a regular file/,
    );
  });
});
