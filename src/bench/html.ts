import { spreadOf } from './judge.js';
import { mibPerSecRange, noRecommendation, STAT_HEADS, statCells } from './render.js';
import type { BenchConfigResult, BenchReport, BenchWorkloadResult } from './types.js';

const esc = (t: string) =>
  t.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const COLORS = { async: '#2f6fb3', threads: '#d9822b', wall: '#8a8f98', cpu: '#c0392b', hash: '#2e8b57' };

interface Bar {
  label: string;
  /** `range`: the runs' min and max, drawn as an error bar across the bar's end. */
  values: { value: number; color: string; name: string; range?: [number, number] | undefined }[];
}

/** An error bar from lo to hi (in plot x) at height y, with end caps. */
function errorBar(lo: number, hi: number, y: number, title: string): string {
  const l = lo.toFixed(1);
  const h = hi.toFixed(1);
  return (
    `<g class="range"><title>${esc(title)}</title><line x1="${l}" x2="${h}" y1="${y}" y2="${y}"/>` +
    `<line x1="${l}" x2="${l}" y1="${y - 4}" y2="${y + 4}"/><line x1="${h}" x2="${h}" y1="${y - 4}" y2="${y + 4}"/></g>`
  );
}

/** A horizontal bar chart as inline SVG: one row per item, one bar per value in it. */
function svgBars(title: string, unit: string, bars: Bar[]): string {
  const rowH = 14;
  const gap = 8;
  const labelW = 250;
  const plotW = 420;
  // Room right of the plot for the value and its range: "0.48 (0.47-0.88)".
  const perRow = Math.max(1, ...bars.map((b) => b.values.length));
  const max = Math.max(
    1e-9,
    ...bars.flatMap((b) => b.values.map((v) => Math.max(v.value, v.range?.[1] ?? 0))),
  );
  const height = 30 + bars.length * (perRow * rowH + gap) + 24;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${labelW + plotW + 160}" height="${height}" role="img" aria-label="${esc(title)}">`,
    `<text x="0" y="16" class="t">${esc(title)}</text>`,
  ];
  let y = 30;
  for (const b of bars) {
    parts.push(
      `<text x="${labelW - 6}" y="${y + (perRow * rowH) / 2 + 4}" text-anchor="end">${esc(b.label)}</text>`,
    );
    for (const [i, v] of b.values.entries()) {
      const w = Math.max(1, (v.value / max) * plotW);
      const by = y + i * rowH;
      const fmt = (x: number) => x.toFixed(x >= 100 ? 0 : 2);
      const r = v.range && v.range[1] > v.range[0] ? v.range : undefined;
      const end = r ? Math.max(w, (r[1] / max) * plotW) : w;
      parts.push(
        `<rect x="${labelW}" y="${by}" width="${w.toFixed(1)}" height="${rowH - 2}" fill="${v.color}"><title>${esc(`${v.name}: ${v.value.toFixed(2)} ${unit}`)}</title></rect>`,
        ...(r
          ? [
              errorBar(
                labelW + (r[0] / max) * plotW,
                labelW + (r[1] / max) * plotW,
                by + (rowH - 2) / 2,
                `${v.name}: runs from ${fmt(r[0])} to ${fmt(r[1])} ${unit}`,
              ),
            ]
          : []),
        `<text x="${(labelW + end + 4).toFixed(1)}" y="${by + rowH - 4}" class="v">${fmt(v.value)}${r ? ` (${fmt(r[0])}-${fmt(r[1])})` : ''}</text>`,
      );
    }
    y += perRow * rowH + gap;
  }
  const legend = [...new Map(bars.flatMap((b) => b.values.map((v) => [v.name, v.color] as const))).entries()];
  let lx = labelW;
  for (const [name, color] of legend) {
    parts.push(
      `<rect x="${lx}" y="${y + 4}" width="10" height="10" fill="${color}"/><text x="${lx + 14}" y="${y + 13}">${esc(name)}</text>`,
    );
    lx += 24 + name.length * 7;
  }
  parts.push(
    `<text x="${labelW + plotW + 150}" y="${y + 13}" text-anchor="end" class="v">${esc(unit)}</text></svg>`,
  );
  return parts.join('\n');
}

function charts(w: BenchWorkloadResult): string {
  const secs = (c: BenchConfigResult, m: 'wall' | 'cpu'): [number, number] | undefined => {
    const sp = spreadOf(c, m, 1);
    return sp && [sp.min / 1000, sp.max / 1000];
  };
  const ok = w.configs.filter(
    (c): c is BenchConfigResult & { stats: NonNullable<BenchConfigResult['stats']> } => c.stats !== undefined,
  );
  const plain = ok
    .filter((c) => c.hashPool === 'none')
    .sort((a, b) => a.mode.localeCompare(b.mode) || a.concurrency - b.concurrency || a.workers - b.workers);
  const throughput = svgBars(
    'Throughput by concurrency and mode (no hashing)',
    'MiB/s',
    plain.map((c) => ({
      label:
        c.mode === 'threads' ? `threads -j ${c.concurrency} -w ${c.workers}` : `async -j ${c.concurrency}`,
      values: [
        { value: c.stats.mibPerSec, color: COLORS[c.mode], name: c.mode, range: mibPerSecRange(c, w.bytes) },
      ],
    })),
  );
  const cpu = svgBars(
    'CPU time against wall time',
    's',
    ok.map((c) => ({
      label: c.key,
      values: [
        { value: c.stats.wallMs / 1000, color: COLORS.wall, name: 'wall time', range: secs(c, 'wall') },
        {
          value: c.stats.cpuMs / 1000,
          color: COLORS.cpu,
          name: 'CPU time (all threads and processes)',
          range: secs(c, 'cpu'),
        },
      ],
    })),
  );
  const hashing = ok.filter((c) => c.hashPool !== 'none');
  const base = plain.find((c) => c.mode === 'async' && hashing.some((h) => h.concurrency === c.concurrency));
  const pools = svgBars(
    'Hashing: inline and pools by workers (wall time, lower is better)',
    's',
    [...(base ? [base] : []), ...hashing].map((c) => ({
      label: c.hashPool === 'none' ? 'no hashing' : c.key.replace(/ hash=/, ', '),
      values: [
        {
          value: c.stats.wallMs / 1000,
          color: c.hashPool === 'none' ? COLORS.wall : COLORS.hash,
          name: c.hashPool === 'none' ? 'no hashing' : 'sha256',
          range: secs(c, 'wall'),
        },
      ],
    })),
  );
  return `<div class="charts">${throughput}${cpu}${hashing.length > 0 ? pools : ''}</div>`;
}

function tableHtml(w: BenchWorkloadResult): string {
  const head = ['configuration', ...STAT_HEADS.map((h) => (h === 'ok' ? 'ok runs' : h))];
  const rows = w.configs.map(
    (c) =>
      `<tr class="${c.ok ? '' : 'bad'}"><td>${esc(c.key)}</td>${statCells(c)
        .map((x) => `<td>${x}</td>`)
        .join('')}</tr>`,
  );
  return `<table><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** A self-contained page (inline CSS and SVG, no scripts, nothing fetched) with every workload's table and charts. */
export function renderHtml(r: BenchReport): string {
  const sections = r.workloads.map(
    (w) => `<section><h2>${esc(w.name)}: ${esc(w.description)}</h2>
<p>${w.files} files, ${(w.bytes / 1048576).toFixed(1)} MiB; medians of ${r.runsPerConfig} verified run(s) per configuration, with the runs' min-max beside them and as error bars on the charts.</p>
${tableHtml(w)}
${charts(w)}
<ul>${w.explanation.map((l) => `<li>${esc(l)}</li>`).join('')}</ul>
<p class="rec">${w.recommendation ? `Recommended for this list on this machine: <code>${esc(w.recommendation)}</code>` : esc(noRecommendation(w, r.runsPerConfig))}</p>
</section>`,
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>dlpool bench ${esc(r.date)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}
td:first-child,th:first-child{text-align:left}tr.bad td{background:#fde2e2}
svg{font:11px system-ui,sans-serif;margin:12px 24px 12px 0}svg .t{font-weight:600;font-size:13px}svg .v{fill:#444}svg .range line{stroke:#111;stroke-width:1.5}
.charts{display:flex;flex-wrap:wrap}.rec code{background:#eef;padding:2px 4px}
</style></head><body>
<h1>dlpool bench</h1>
<p>${esc(r.date)} &middot; Node ${esc(r.node)} &middot; ${r.cores} cores${r.cpuModel ? ` (${esc(r.cpuModel)})` : ''}.
CPU % is CPU time of all threads and pool processes over wall time and cores; loop % is the main event loop's utilisation.</p>
${sections.join('\n')}
</body></html>
`;
}
