import { describe, expect, it } from 'vitest';
import { requestLines, responseLines } from '../../../src/transport/trace.js';

describe('trace lines', () => {
  it('hide credential and cookie values, keep schemes, cookie names and attributes', () => {
    const lines = requestLines(
      new URL('http://u:p@h:81/a?b=1'),
      { authorization: 'Bearer tok', 'proxy-authorization': 'weird', cookie: 'a=1; b=2; bare', 'x-k': 'v' },
      true,
      'GET',
      '1.1',
    );
    expect(lines).toEqual([
      '> GET /a?b=1 HTTP/1.1',
      '> Host: h:81',
      '> authorization: Bearer [redacted]',
      '> proxy-authorization: [redacted]',
      '> cookie: a=[redacted]; b=[redacted]; [redacted]',
      '> x-k: v',
      '> connection: close',
    ]);
  });

  it('show every response header, a repeated one on a line each; Location without user:pass@', () => {
    const lines = responseLines(302, 'Found', {
      'set-cookie': ['s=1; Path=/; Secure', 't=2'],
      location: 'http://ann:pw@other/x',
      'x-n': undefined,
    });
    expect(lines).toEqual([
      '< HTTP/1.1 302 Found',
      '< set-cookie: s=[redacted]; Path=/; Secure',
      '< set-cookie: t=[redacted]',
      '< location: http://other/x',
    ]);
    expect(responseLines(200, '', {})).toEqual(['< HTTP/1.1 200']);
  });

  it('name the method sent and the HTTP version the answer came in (--spider, --http2)', () => {
    const head = requestLines(new URL('https://h/a'), {}, false, 'HEAD', undefined);
    expect(head[0]).toBe('> HEAD /a');
    expect(requestLines(new URL('http://h/a'), {}, false, 'GET', '1.1')[0]).toBe('> GET /a HTTP/1.1');
    expect(responseLines(200, '', {}, '2')).toEqual(['< HTTP/2 200']);
    expect(responseLines(200, 'OK', {}, '1.1')).toEqual(['< HTTP/1.1 200 OK']);
  });
});
