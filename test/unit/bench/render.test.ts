import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../../src/bench/html.js';
import { configKey } from '../../../src/bench/matrix.js';
import { renderText } from '../../../src/bench/render.js';
import type { BenchConfigResult, BenchHashPool, BenchReport } from '../../../src/bench/types.js';

/** A configuration measured by runs of the given wall times (ms); CPU is half of each. */
function cfg(j: number, hashPool: BenchHashPool, walls: number[]): BenchConfigResult {
  const c = { mode: 'async' as const, concurrency: j, workers: 1, hashPool };
  const sorted = [...walls].sort((a, b) => a - b);
  const wallMs = sorted[sorted.length >> 1]!;
  return {
    ...c,
    key: configKey(c),
    ok: true,
    runs: walls.map((wallMs) => ({
      ok: true,
      dir: '/x',
      wallMs,
      cpuUserMs: wallMs / 2,
      cpuSystemMs: 0,
      childCpuMs: 0,
      elu: 0.5,
      maxRssMiB: 90,
      downloaded: 4,
      failed: 0,
      bytes: 4 * 1048576,
    })),
    stats: {
      wallMs,
      cpuMs: wallMs / 2,
      cpuUtil: 0.25,
      elu: 0.5,
      maxRssMiB: 90,
      mibPerSec: 4 / (wallMs / 1000),
      filesPerSec: 4 / (wallMs / 1000),
    },
  };
}

function report(runs: number, configs: BenchConfigResult[]): BenchReport {
  return {
    date: '2026-12-07T00:00:00.000Z',
    node: 'v20.20.0',
    cores: 2,
    cpuModel: undefined,
    runsPerConfig: runs,
    workloads: [
      {
        name: 'w',
        description: 'four files',
        files: 4,
        bytes: 4 * 1048576,
        configs,
        explanation: [],
        recommendation: undefined,
      },
    ],
  };
}

describe('the spread beside the median', () => {
  const r = report(3, [cfg(4, 'none', [1200, 1000, 1100]), cfg(16, 'inline', [2000, 2400, 2200])]);

  it('the text table gives each configuration its wall and CPU min-max beside the medians', () => {
    const text = renderText(r);
    expect(text).toMatch(/wall s\s+min-max\s+MiB\/s\s+files\/s\s+CPU s\s+min-max/);
    expect(text).toMatch(
      /async -j 4 hash=none\s+3\/3\s+1\.100\s+1\.000-1\.200\s+3\.6\s+4\s+0\.55\s+0\.50-0\.60/,
    );
    expect(text).toMatch(/async -j 16 hash=inline\s+3\/3\s+2\.200\s+2\.000-2\.400\s/);
    // Throughput's bar: the median, then the range from the slowest and the fastest run.
    expect(text).toMatch(/async -j 4 hash=none\s+█+\S* 3\.6 MiB\/s \(3\.3-4\.0\)/);
  });

  it('the HTML charts draw each range as an error bar with its figures', () => {
    const html = renderHtml(r);
    expect(html).toContain('<th>min-max</th>');
    expect(html).toContain('<td>1.000-1.200</td>');
    // Throughput (the unhashed one), wall and CPU time of both, and the hashing chart's one bar.
    expect(html.match(/<g class="range">/g)?.length).toBe(1 + 2 + 2 + 1);
    expect(html).toContain('<title>wall time: runs from 1.00 to 1.20 s</title>');
    expect(html).toContain('<title>async: runs from 3.33 to 4.00 MiB/s</title>');
  });

  it('one run has no range to draw, and says why nothing is recommended', () => {
    const one = report(1, [cfg(4, 'none', [1000]), cfg(16, 'none', [900])]);
    expect(renderHtml(one)).not.toContain('class="range"');
    // No range of one value in the table either.
    expect(renderText(one)).toMatch(/async -j 4 hash=none\s+1\/1\s+1\.000\s+4\.0\s/);
    expect(renderText(one)).toMatch(
      /nothing recommended: 1 run\(s\) per configuration cannot tell a difference from noise/,
    );
  });
});
