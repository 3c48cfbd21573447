import { describe, expect, it } from 'vitest';
import { median, round } from '../../../src/bench/stats.js';

describe('median', () => {
  it('is the middle value of an odd count and the mean of the middle two of an even one, in any order', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it('is undefined for no values, and leaves its input as it was', () => {
    expect(median([])).toBeUndefined();
    const xs = [3, 1, 2];
    median(xs);
    expect(xs).toEqual([3, 1, 2]);
  });
});

describe('round', () => {
  it('rounds to the given decimal places', () => {
    expect(round(1.23456, 2)).toBe(1.23);
    expect(round(1.235, 0)).toBe(1);
    expect(round(2.5, 0)).toBe(3);
  });
});
