import { describe, expect, it } from 'vitest';
import { judgeScale, scaleTargetLines, TARGET_PEAK_RSS_MIB } from '../../../../bench/scale-targets.js';

const run = (o: { urls?: number; urlsPerS: number; peakRssMiB: number; ok?: boolean }) => ({
  mode: 'async',
  urls: 1_000_000,
  ok: true,
  ...o,
});

describe('bench:scale targets', () => {
  it('at 1,000,000 URLs: >= 5000 URLs/s and peak RSS <= 160 MB (152.6 MiB)', () => {
    expect(TARGET_PEAK_RSS_MIB).toBe(152.6);
    expect(judgeScale(run({ urlsPerS: 5000, peakRssMiB: 152.6 }))).toEqual({
      urlsPerS: 'PASS',
      peakRss: 'PASS',
    });
    expect(judgeScale(run({ urlsPerS: 3892, peakRssMiB: 198 }))).toEqual({
      urlsPerS: 'MISS',
      peakRss: 'MISS',
    });
    expect(judgeScale(run({ urlsPerS: 6000, peakRssMiB: 152.7 }))).toEqual({
      urlsPerS: 'PASS',
      peakRss: 'MISS',
    });
  });

  it('another N, or a run that was not ok, is n/a, not PASS', () => {
    expect(judgeScale(run({ urls: 200_000, urlsPerS: 9000, peakRssMiB: 100 }))).toEqual({
      urlsPerS: 'n/a',
      peakRss: 'n/a',
    });
    expect(judgeScale(run({ urlsPerS: 9000, peakRssMiB: 100, ok: false })).peakRss).toBe('n/a');
    expect(scaleTargetLines([run({ urls: 200_000, urlsPerS: 785, peakRssMiB: 139.7 })])).toEqual([
      'Targets at 1000000 URLs: >= 5000 URLs/s, peak RSS <= 160 MB (152.6 MiB)',
      '- async: n/a 785 URLs/s; n/a peak RSS 139.7 MiB (N=200000)',
    ]);
  });
});
