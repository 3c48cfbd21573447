import { describe, expect, it } from 'vitest';
import { parseByteSize } from '../../src/common/byte-size.js';

describe('parseByteSize (--limit-rate, --max-size, --min-split-size, --speed-limit)', () => {
  it('reads bytes with K, M or G (powers of 1024), decimals included, rounded down', () => {
    expect(parseByteSize('0')).toBe(0);
    expect(parseByteSize('1234')).toBe(1234);
    expect(parseByteSize('500K')).toBe(512_000);
    expect(parseByteSize('2m')).toBe(2 * 1024 ** 2);
    expect(parseByteSize('1.5M')).toBe(1.5 * 1024 ** 2);
    expect(parseByteSize('.5K')).toBe(512);
    expect(parseByteSize('1.1K')).toBe(1126);
    expect(parseByteSize('0.4')).toBe(0);
    expect(parseByteSize('1G')).toBe(1024 ** 3);
  });

  it('refuses anything else', () => {
    for (const bad of ['', 'fast', '1.5.5M', '-1', '1e6', '1KB', '1T', '1.', 'K', `${'9'.repeat(20)}G`]) {
      expect(parseByteSize(bad), bad).toBeUndefined();
    }
  });
});
