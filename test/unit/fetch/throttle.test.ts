import { describe, expect, it } from 'vitest';
import { throttle } from '../../../src/transport/throttle.js';

describe('throttle (progress events at most once per --progress interval)', () => {
  it('lets the first call through, then one per interval, counted from the last one let through', () => {
    let t = 0; // a clock that starts at zero: the first call still passes
    const due = throttle(100, () => t);
    const at = (ms: number) => {
      t = ms;
      return due();
    };
    expect([at(0), at(1), at(99), at(100), at(150), at(199), at(200), at(450), at(549)]).toEqual([
      true,
      false,
      false,
      true,
      false,
      false,
      true,
      true,
      false,
    ]);
  });

  it('passes every call with an interval of 0 (progressIntervalMs: 0)', () => {
    const due = throttle(0, () => 42);
    expect([due(), due(), due()]).toEqual([true, true, true]);
  });
});
