import { describe, expect, it } from 'vitest';
import { type Comparison, type Part, render, renderPart } from '../../../src/bench/claims.js';
import { explain, recommendation } from '../../../src/bench/explain.js';
import { BENCH_HASH_POOLS, buildMatrix } from '../../../src/bench/matrix.js';
import { runStats } from '../../../src/bench/stats.js';
import type { BenchConfigResult, BenchRun, BenchWorkloadResult } from '../../../src/bench/types.js';
import type { EngineMode } from '../../../src/options.js';

/** mulberry32: a small seeded generator, so a failing table can be made again from its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function subset<T>(r: () => number, xs: readonly T[]): T[] {
  const out = xs.filter(() => r() < 0.5);
  return out.length > 0 ? out : [xs[Math.floor(r() * xs.length)]!];
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

/**
 * A random result table: a random matrix (one or both modes in either order, any -j, -w and hash pools, -x
 * or not), 1 to 5 runs, values on a coarse grid so that ties and touching ranges are common, and now and
 * then a configuration that failed a run.
 */
function table(seed: number): { w: BenchWorkloadResult; cores: number } {
  const r = rng(seed);
  const modes = subset<EngineMode>(r, r() < 0.5 ? ['async', 'threads'] : ['threads', 'async']);
  const configs = buildMatrix({
    modes,
    concurrency: subset(r, [1, 4, 16, 64]),
    workers: subset(r, [1, 2, 4]),
    hashPools: subset(r, BENCH_HASH_POOLS),
    split: r() < 0.3 ? [1, 4] : [1],
  });
  const n = pick(r, [1, 2, 3, 3, 3, 4, 5]);
  const cores = pick(r, [1, 2, 4, 8]);
  const spreadWide = pick(r, [0, 1, 2, 4]);
  const results: BenchConfigResult[] = configs.map((c) => {
    const wall = 500 + 100 * Math.floor(r() * 8);
    const cpu = 200 + 100 * Math.floor(r() * 10);
    const elu = pick(r, [0.2, 0.5, 0.8, 0.9, 0.95, 1]);
    const runs: BenchRun[] = Array.from({ length: n }, () => ({
      ok: true,
      dir: '/x',
      wallMs: wall + 50 * Math.floor(r() * (spreadWide + 1)),
      cpuUserMs: cpu + 50 * Math.floor(r() * (spreadWide + 1)),
      cpuSystemMs: pick(r, [0, 10]),
      childCpuMs: c.hashPool === 'processes' ? 100 : 0,
      elu: Math.min(1, elu + pick(r, [0, 0, 0.05])),
      maxRssMiB: 80,
      downloaded: 10,
      failed: 0,
      bytes: 1e7,
    }));
    if (r() < 0.05) runs[0] = { ok: false, dir: '/x', failure: 'a.bin: sha256 mismatch' };
    const ok = runs.every((x) => x.ok);
    return { ...c, runs, ok, stats: ok ? runStats(runs, 10, 1e7, cores) : undefined };
  });
  const w = {
    name: 'random',
    description: `seed ${seed}`,
    files: 10,
    bytes: pick(r, [1e7, 1e9]),
    configs: results,
    explanation: [],
    recommendation: undefined,
  };
  return { w, cores };
}

/** The test's own reading of a table: a metric's per-run values of a configuration, independent of src. */
function values(c: BenchConfigResult, metric: Comparison['metric'], cores: number): number[] {
  return c.runs
    .filter((x) => x.ok)
    .map((x) => {
      const cpu = x.cpuUserMs! + x.cpuSystemMs! + x.childCpuMs!;
      return { wall: x.wallMs!, cpu, elu: x.elu!, cpuUtil: cpu / x.wallMs! / cores }[metric];
    });
}

/** Words that claim a difference or a bound; plain text (figures, names) may hold none of them. */
const VERDICT_WORDS =
  /faster|slower|quicker|\bwon\b|\blost\b|help|pays|CPU-bound|I\/O-bound|saturated|noise|more CPU|less CPU|not the limit|liked|held back|filled|cost more|better|worse|barely|enough/i;

const sec = (ms: number) => (ms / 1000).toFixed(2);

function comparisons(p: Part): Comparison[] {
  if (typeof p === 'string') return [];
  if ('cmp' in p) return [p.cmp];
  if ('group' in p) return p.group;
  return p.given.map(([c]) => c);
}

function checkTable(seed: number): void {
  const { w, cores } = table(seed);
  const byKey = new Map(w.configs.map((c) => [c.key, c]));
  const e = explain(w, cores);
  const where = `seed ${seed}`;
  const measured = w.configs.filter((c) => c.ok);
  const minRuns = Math.min(...measured.map((c) => values(c, 'wall', cores).length));
  expect(e.lines, where).toEqual(e.sentences.map(render));
  const seconds = new Set(measured.flatMap((c) => [sec(c.stats!.wallMs), sec(c.stats!.cpuMs)]));
  const percents = new Set(
    measured.flatMap((c) => [c.stats!.cpuUtil, c.stats!.elu].map((x) => String(Math.round(x * 100)))),
  );

  for (const [i, s] of e.sentences.entries()) {
    const line = e.lines[i]!;
    let differences = 0;
    let noise = 0;
    for (const p of s.parts) {
      if (typeof p === 'string') {
        expect(p, `${where}: plain text claims nothing`).not.toMatch(VERDICT_WORDS);
        // Its figures are the table's: medians of wall and CPU time, CPU % and loop % as printed there.
        for (const [, f] of p.matchAll(/(\d+\.\d\d) s\b/g)) expect(seconds, `${where}: ${p}`).toContain(f);
        for (const [, f] of p.matchAll(/(\d+) %/g)) expect(percents, `${where}: ${p}`).toContain(f);
        continue;
      }
      for (const c of comparisons(p)) {
        // Each side is a configuration of the table with its own runs' figures, or a threshold.
        const sides = [c.a, c.b].map((side) => {
          if (side.key === undefined) {
            expect(side.spread.n, where).toBe(Infinity);
            return { min: side.spread.min, max: side.spread.max, n: Infinity };
          }
          const xs = values(byKey.get(side.key)!, c.metric, cores);
          expect(byKey.get(side.key)!.ok, where).toBe(true);
          expect(side.spread.min, where).toBe(Math.min(...xs));
          expect(side.spread.max, where).toBe(Math.max(...xs));
          expect(side.spread.n, where).toBe(xs.length);
          return { min: Math.min(...xs), max: Math.max(...xs), n: xs.length };
        });
        const [a, b] = sides as [(typeof sides)[0], (typeof sides)[0]];
        const truth =
          a.n < 3 || b.n < 3 ? 'few-runs' : a.max < b.min ? 'lower' : a.min > b.max ? 'higher' : 'noise';
        expect(c.verdict, `${where}: ${s.kind} ${c.a.label} against ${c.b.label}`).toBe(truth);
      }
      if ('cmp' in p) {
        const c = p.cmp;
        if ((c.metric === 'wall' || c.metric === 'cpu') && c.verdict !== 'few-runs') {
          expect(renderPart(p), where).toContain(
            `${sec(c.a.spread.min)}${c.a.spread.n > 1 && sec(c.a.spread.min) !== sec(c.a.spread.max) ? `-${sec(c.a.spread.max)}` : ''} s against`,
          );
        }
        if (c.verdict === 'lower' || c.verdict === 'higher') differences++;
        if (c.verdict === 'noise') noise++;
      } else if ('group' in p) {
        expect(
          p.group.every((c) => c.verdict === p.verdict),
          where,
        ).toBe(true);
        if (p.verdict === 'lower' || p.verdict === 'higher') differences++;
        if (p.verdict === 'noise') noise++;
      } else {
        // A conditional text is there because its comparisons came out as it needs.
        for (const [c, ...vs] of p.given) expect(vs, `${where}: ${p.text}`).toContain(c.verdict);
        expect(p.text, where).not.toMatch(/faster|slower|noise/);
      }
    }
    // The rendered sentence says as many differences and ties as its data holds, and no more.
    expect(line.match(/beyond noise/g)?.length ?? 0, `${where}: ${line}`).toBe(differences);
    expect(line.match(/within noise/g)?.length ?? 0, `${where}: ${line}`).toBe(noise);
    expect(line.match(/faster|slower/g)?.length ?? 0, `${where}: ${line}`).toBe(
      s.parts.filter(
        (p) =>
          typeof p !== 'string' &&
          (('cmp' in p && p.cmp.metric === 'wall' && ['lower', 'higher'].includes(p.cmp.verdict)) ||
            ('group' in p && ['lower', 'higher'].includes(p.verdict))),
      ).length,
    );
  }

  const rec = recommendation(e);
  if (minRuns < 3) {
    expect(rec, where).toBeUndefined();
    expect(
      e.lines.filter((l) => /no difference below is claimed/.test(l)),
      where,
    ).toHaveLength(1);
    expect(e.lines.join('\n'), where).not.toMatch(/beyond noise|within noise|CPU-bound|I\/O-bound|saturated/);
  }
  if (e.best) {
    // Recommended only as the lowest median, faster than some other configuration beyond noise.
    const best = values(byKey.get(e.best.key)!, 'wall', cores);
    const median = (c: BenchConfigResult) => c.stats!.wallMs;
    expect(Math.min(...measured.map(median)), where).toBe(median(byKey.get(e.best.key)!));
    expect(
      measured.some((c) => Math.max(...best) < Math.min(...values(c, 'wall', cores))),
      where,
    ).toBe(true);
    // The recommendation counts the configurations whose ranges overlap the best one's.
    const overlapping = measured.filter(
      (c) =>
        c.key !== e.best!.key &&
        Math.max(...best) >= Math.min(...values(c, 'wall', cores)) &&
        Math.min(...best) <= Math.max(...values(c, 'wall', cores)),
    ).length;
    expect(e.ties, where).toBe(overlapping);
    expect(rec, where).toContain(
      overlapping === 0
        ? 'LIST'
        : overlapping === 1
          ? '(or the 1 configuration'
          : `(or any of the ${overlapping} configurations`,
    );
  }
}

describe('the explanation cannot contradict its table', () => {
  it('holds on 3000 random tables: every claim matches the runs, and the text says only what the claims say', () => {
    for (let seed = 1; seed <= 3000; seed++) checkTable(seed);
  });
});
