import { describe, expect, it } from 'vitest';
import { DlpoolError, redactText, redactUrl } from '../../src/errors.js';

describe('redactUrl', () => {
  it('removes user and password from a URL', () => {
    expect(redactUrl('https://ann:s3cret@example.com/a?b=1')).toBe('https://example.com/a?b=1');
    expect(redactUrl('http://ann@example.com:8080/')).toBe('http://example.com:8080/');
    expect(redactUrl('http://ann:s3%40cret@@example.com/x')).toBe('http://example.com/x');
    expect(redactUrl('http://example.com/p@th')).toBe('http://example.com/p@th');
  });

  it('removes what may be userinfo from text that does not parse as a URL', () => {
    expect(redactUrl('http://ann:s3cret@[bad/x.bin')).toBe('http://[bad/x.bin');
    // An unescaped `/` in the password makes the URL invalid; the password still goes.
    expect(redactUrl('http://ann:s3c/ret@[bad/y.bin')).toBe('http://[bad/y.bin');
    expect(redactUrl('http://ann:s3c@ret@[bad')).toBe('http://[bad');
    // A blank or a tab in the password (and a port out of range): nothing of it may show.
    expect(redactUrl('http://user:se cret@host:99999/a')).toBe('http://host:99999/a');
    expect(redactUrl('http://user:se\tcret@host:99999/a')).toBe('http://host:99999/a');
  });
});

describe('redactText', () => {
  it('redacts every URL of a line and leaves other words as written', () => {
    expect(redactText('http://a:s3cret@h/x\thttp://b:s3cret@[bad\tout=Name')).toBe(
      'http://h/x\thttp://[bad\tout=Name',
    );
    expect(redactText('HTTP://Example.com  checksum=sha-256=00')).toBe(
      'HTTP://Example.com  checksum=sha-256=00',
    );
  });

  it('redacts a password that holds a blank or a tab (the tab would otherwise split it into two fields)', () => {
    expect(redactText('http://user:se cret@host:99999/a')).toBe('http://host:99999/a');
    expect(redactText('http://user:se\tcret@host:99999/a\thttp://h2/b')).toBe(
      'http://host:99999/a\thttp://h2/b',
    );
    expect(redactText('http://user:se\tcret@host/a')).not.toMatch(/user|se|cret/);
  });
});

describe('DlpoolError', () => {
  it('keeps the URL without credentials', () => {
    const e = new DlpoolError('ERR_DL_NETWORK', 'cut', { url: 'http://ann:s3cret@h/x' });
    expect(e.url).toBe('http://h/x');
  });
});
