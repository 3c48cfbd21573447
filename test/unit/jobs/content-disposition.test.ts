import { describe, expect, it } from 'vitest';
import { filenameFromContentDisposition as cd } from '../../../src/jobs/content-disposition.js';

describe('filenameFromContentDisposition', () => {
  it('reads filename= quoted and bare', () => {
    expect(cd('attachment; filename="report 1.pdf"')).toBe('report 1.pdf');
    expect(cd('attachment; filename=plain.txt')).toBe('plain.txt');
    expect(cd('attachment; filename="a\\"b.txt"')).toBe('a"b.txt');
  });
  it('prefers filename*= (RFC 8187) and decodes it', () => {
    expect(cd(`attachment; filename="fallback.txt"; filename*=UTF-8''%E2%82%AC%20rates.txt`)).toBe(
      '€ rates.txt',
    );
    expect(cd(`attachment; filename*=iso-8859-1'en'%A3%20rates.txt`)).toBe('£ rates.txt');
  });
  it('returns the raw name (sanitising is the caller’s job) and undefined when absent', () => {
    expect(cd('attachment; filename="../../etc/passwd"')).toBe('../../etc/passwd');
    expect(cd('inline')).toBeUndefined();
    expect(cd(undefined)).toBeUndefined();
    expect(cd(`attachment; filename*=UTF-8''%ZZ`)).toBeUndefined();
  });
});
