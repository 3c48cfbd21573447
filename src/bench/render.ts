import type { BenchConfigResult, BenchReport, BenchWorkloadResult } from './types.js';

const MiB = 1024 * 1024;

function pad(cells: string[][]): string {
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  return cells
    .map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '))
    .join('\n');
}

/** The columns of a configuration's row, after its name: the text table's and the HTML report's. */
export const STAT_HEADS = ['ok', 'wall s', 'MiB/s', 'files/s', 'CPU s', 'CPU %', 'loop %', 'RSS MiB'];

/** A configuration's cells under STAT_HEADS: verified runs of all, then the medians (or `failed`). */
export function statCells(c: BenchConfigResult): string[] {
  const st = c.stats;
  const ok = `${c.runs.filter((r) => r.ok).length}/${c.runs.length}`;
  if (!st) return [ok, 'failed', '', '', '', '', '', ''];
  return [
    ok,
    (st.wallMs / 1000).toFixed(3),
    st.mibPerSec.toFixed(1),
    st.filesPerSec.toFixed(0),
    (st.cpuMs / 1000).toFixed(2),
    (st.cpuUtil * 100).toFixed(0),
    (st.elu * 100).toFixed(0),
    st.maxRssMiB.toFixed(0),
  ];
}

/** One row per configuration: medians of the verified runs. */
export function table(w: BenchWorkloadResult): string {
  return pad([['configuration', ...STAT_HEADS], ...w.configs.map((c) => [c.key, ...statCells(c)])]);
}

/** A horizontal bar per configuration, throughput in MiB/s; failed configurations get no bar. */
export function barChart(w: BenchWorkloadResult, width = 40): string {
  const max = Math.max(...w.configs.map((c) => c.stats?.mibPerSec ?? 0), 1e-9);
  const name = Math.max(...w.configs.map((c) => c.key.length));
  return w.configs
    .map((c) => {
      const v = c.stats?.mibPerSec;
      if (v === undefined) return `${c.key.padEnd(name)}  (failed)`;
      const n = (v / max) * width;
      const bar = '█'.repeat(Math.floor(n)) + (n - Math.floor(n) >= 0.5 ? '▌' : '');
      return `${c.key.padEnd(name)}  ${bar} ${v.toFixed(1)} MiB/s`;
    })
    .join('\n');
}

export function renderText(r: BenchReport): string {
  const out: string[] = [];
  for (const w of r.workloads) {
    out.push(
      `== ${w.name}: ${w.description} (${w.files} files, ${(w.bytes / MiB).toFixed(1)} MiB), median of ${r.runsPerConfig} runs`,
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
        : 'no configuration passed',
      '',
    );
  }
  out.push(
    `CPU % = CPU time (all threads and pool processes) / wall time / ${r.cores} cores; loop % = main event-loop utilisation.`,
  );
  return `${out.join('\n')}\n`;
}
