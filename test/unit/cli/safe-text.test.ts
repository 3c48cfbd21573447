import { describe, expect, it } from 'vitest';
import { resultLine, warningLine } from '../../../src/cli/render/lines.js';
import { safeJson, safeLines, safeText } from '../../../src/cli/render/safe-text.js';

describe('safeText', () => {
  it('shows terminal controls and bidi characters as escapes instead of passing them on', () => {
    expect(safeText('\u001b]2;TITLE\u0007\u001b[41mred')).toBe('\\x1b]2;TITLE\\x07\\x1b[41mred');
    expect(safeText('a\u009b31mb')).toBe('a\\x9b31mb');
    expect(safeText('\u202etxt.exe')).toBe('\\u202etxt.exe');
    expect(safeText('x\ny\u2028z\u2066')).toBe('x\\x0ay\\u2028z\\u2066');
    expect(safeText('plain text, é, 日本, tab\tkept')).toBe('plain text, é, 日本, tab\tkept');
  });

  it('keeps the line breaks of a stack trace and escapes what is on each line', () => {
    const stack = "Error: EEXIST: open '/tmp/\u001b]2;x\u0007'\n    at f (file:///a\u202e.js:1:2)";
    expect(safeLines(stack)).toBe(
      "Error: EEXIST: open '/tmp/\\x1b]2;x\\x07'\n    at f (file:///a\\u202e.js:1:2)",
    );
  });

  it('guards every result and warning line, whatever the text came from', () => {
    const line = resultLine({
      id: 1,
      url: 'http://h/\u202ex',
      source: 'argv',
      line: 1,
      path: undefined,
      status: 'failed',
      bytes: 0,
      attempts: 1,
      ms: 1,
      resumed: false,
      transferred: 0,
      error: { code: 'ERR_DL_TLS', message: 'certificate subject \u001b]2;pwned\u0007\u001b[41m' },
    });
    expect(line).not.toMatch(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u202a-\u202e]/);
    expect(warningLine({ type: 'warning', message: 'Content-Range \u009b2J' })).toBe(
      'dlpool: warning: Content-Range \\x9b2J',
    );
  });
});

describe('safeJson', () => {
  it('escapes C1 and bidi characters that JSON.stringify leaves raw; the value parses back the same', () => {
    const value = { message: 'x\u009b2J\u202e\u2028y', plain: 'é日本' };
    const text = safeJson(JSON.stringify(value));
    expect(text).not.toMatch(/[\u007f-\u009f\u2028\u202e]/);
    expect(JSON.parse(text)).toEqual(value);
  });
});
