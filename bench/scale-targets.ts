import type { Verdict } from './compare/targets.js';

/** The scale targets hold for this list length; other lengths are measured, not judged (RSS grows with it). */
export const TARGET_URLS = 1_000_000;
export const TARGET_URLS_PER_S = 5000;
/** 160 MB, decimal: the stricter reading of the target, as MiB like the rest of the report. */
export const TARGET_PEAK_RSS_MIB = Math.round((160e6 / 2 ** 20) * 10) / 10;

export interface ScaleVerdicts {
  urlsPerS: Verdict;
  peakRss: Verdict;
}

/** One mode's run against the targets: n/a at another N, or when the run itself was not ok. */
export function judgeScale(r: {
  urls: number;
  urlsPerS: number;
  peakRssMiB: number;
  ok: boolean;
}): ScaleVerdicts {
  if (r.urls !== TARGET_URLS || !r.ok) return { urlsPerS: 'n/a', peakRss: 'n/a' };
  return {
    urlsPerS: r.urlsPerS >= TARGET_URLS_PER_S ? 'PASS' : 'MISS',
    peakRss: r.peakRssMiB <= TARGET_PEAK_RSS_MIB ? 'PASS' : 'MISS',
  };
}

/** The targets' lines under the report's table. */
export function scaleTargetLines(
  runs: readonly { mode: string; urls: number; urlsPerS: number; peakRssMiB: number; ok: boolean }[],
): string[] {
  const lines = [
    `Targets at ${TARGET_URLS} URLs: >= ${TARGET_URLS_PER_S} URLs/s, peak RSS <= 160 MB (${TARGET_PEAK_RSS_MIB} MiB)`,
  ];
  for (const r of runs) {
    const v = judgeScale(r);
    const why = r.urls !== TARGET_URLS ? ` (N=${r.urls})` : !r.ok ? ' (the run was not ok)' : '';
    lines.push(
      `- ${r.mode}: ${v.urlsPerS} ${r.urlsPerS} URLs/s; ${v.peakRss} peak RSS ${r.peakRssMiB} MiB${why}`,
    );
  }
  return lines;
}
