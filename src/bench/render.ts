import { MIN_RUNS, type Spread, spreadOf } from './judge.js';
import type { BenchConfigResult, BenchReport, BenchWorkloadResult } from './types.js';

const MiB = 1024 * 1024;

function pad(cells: string[][]): string {
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  return cells
    .map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '))
    .join('\n');
}

/**
 * The columns of a configuration's row, after its name: the text table's and the HTML report's. Wall and CPU
 * time carry their min-max over the verified runs beside the median: the ranges every claim is judged by.
 */
export const STAT_HEADS = [
  'ok',
  'wall s',
  'min-max',
  'MiB/s',
  'files/s',
  'CPU s',
  'min-max',
  'CPU %',
  'loop %',
  'RSS MiB',
];

// One run has no range: the cell stays empty rather than repeat the median.
const range = (sp: Spread | undefined, digits: number) =>
  sp && sp.n > 1 ? `${(sp.min / 1000).toFixed(digits)}-${(sp.max / 1000).toFixed(digits)}` : '';

/** A configuration's cells under STAT_HEADS: verified runs of all, then the medians and ranges (or `failed`). */
export function statCells(c: BenchConfigResult): string[] {
  const st = c.stats;
  const ok = `${c.runs.filter((r) => r.ok).length}/${c.runs.length}`;
  if (!st) return [ok, 'failed', '', '', '', '', '', '', '', ''];
  return [
    ok,
    (st.wallMs / 1000).toFixed(3),
    range(spreadOf(c, 'wall', 1), 3),
    st.mibPerSec.toFixed(1),
    st.filesPerSec.toFixed(0),
    (st.cpuMs / 1000).toFixed(2),
    range(spreadOf(c, 'cpu', 1), 2),
    (st.cpuUtil * 100).toFixed(0),
    (st.elu * 100).toFixed(0),
    st.maxRssMiB.toFixed(0),
  ];
}

/** Throughput's range from the wall-time range: the slowest run gives the lowest MiB/s. */
export function mibPerSecRange(c: BenchConfigResult, bytes: number): [number, number] | undefined {
  const sp = spreadOf(c, 'wall', 1);
  return sp && [bytes / 1048576 / (sp.max / 1000), bytes / 1048576 / (sp.min / 1000)];
}

/** One row per configuration: medians and ranges of the verified runs. */
export function table(w: BenchWorkloadResult): string {
  return pad([['configuration', ...STAT_HEADS], ...w.configs.map((c) => [c.key, ...statCells(c)])]);
}

/** A horizontal bar per configuration, throughput in MiB/s (median, then the runs' range); failed ones get no bar. */
export function barChart(w: BenchWorkloadResult, width = 40): string {
  const max = Math.max(...w.configs.map((c) => c.stats?.mibPerSec ?? 0), 1e-9);
  const name = Math.max(...w.configs.map((c) => c.key.length));
  return w.configs
    .map((c) => {
      const v = c.stats?.mibPerSec;
      if (v === undefined) return `${c.key.padEnd(name)}  (failed)`;
      const n = (v / max) * width;
      const bar = '█'.repeat(Math.floor(n)) + (n - Math.floor(n) >= 0.5 ? '▌' : '');
      const r = mibPerSecRange(c, w.bytes);
      const spread = r && c.runs.length > 1 ? ` (${r[0].toFixed(1)}-${r[1].toFixed(1)})` : '';
      return `${c.key.padEnd(name)}  ${bar} ${v.toFixed(1)} MiB/s${spread}`;
    })
    .join('\n');
}

/** Why a workload has no recommendation, in one line. */
export function noRecommendation(w: BenchWorkloadResult, runs: number): string {
  if (!w.configs.some((c) => c.ok)) return 'no configuration passed';
  if (runs < MIN_RUNS)
    return `nothing recommended: ${runs} run(s) per configuration cannot tell a difference from noise`;
  return 'nothing recommended: the lowest median was not faster than any other configuration beyond noise';
}

export function renderText(r: BenchReport): string {
  const out: string[] = [];
  for (const w of r.workloads) {
    out.push(
      `== ${w.name}: ${w.description} (${w.files} files, ${(w.bytes / MiB).toFixed(1)} MiB), median and min-max of ${r.runsPerConfig} run(s)`,
      '',
      table(w),
      '',
      'throughput',
      barChart(w),
      '',
      ...w.explanation.map((l) => `- ${l}`),
      '',
      w.recommendation
        ? `recommended for this list on this machine: ${w.recommendation}`
        : noRecommendation(w, r.runsPerConfig),
      '',
    );
  }
  out.push(
    `A difference is claimed only where two configurations' min-max ranges of ${MIN_RUNS} or more verified runs do not overlap.`,
    `CPU % = CPU time (all threads and pool processes) / wall time / ${r.cores} cores; loop % = main event-loop utilisation.`,
  );
  return `${out.join('\n')}\n`;
}
