import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BEGIN, END, renderTable, replaceBlock } from '../../../../bench/compare/markdown.js';
import type { CompareReport } from '../../../../bench/compare/report.js';

const root = path.resolve(import.meta.dirname, '../../../..');
const read = (p: string) => fs.readFileSync(path.join(root, p), 'utf8');

describe('docs/benchmarks.md: the one results table', () => {
  it('is what `npm run bench:doc` renders from the committed bench-results/latest.json, untouched by hand', () => {
    const page = read('docs/benchmarks.md');
    const report = JSON.parse(read('bench-results/latest.json')) as CompareReport;
    const start = page.indexOf(BEGIN);
    const end = page.indexOf(END);
    expect(start, 'the page has the block').toBeGreaterThanOrEqual(0);
    expect(page.slice(start, end + END.length)).toBe(renderTable(report));
  });

  it('has one row per workload and tool, with the median, the range and the ratios to node-floor and curl', () => {
    const tool = (median: number, min: number, max: number) => ({
      ok_runs: 3,
      runs: 3,
      median_s: median,
      min_s: min,
      max_s: max,
      files_per_s: null,
      mib_per_s: null,
      cpu_s_median: median / 2,
      user_s_median: null,
      sys_s_median: null,
      maxrss_mib_median: 80,
      maxrss_mib_peak: 90,
      server_cpu_s_median: null,
      machine_busy_s_median: null,
      failures: [],
      wall_s: [min, median, max],
    });
    const report: CompareReport = {
      date: '2026-12-07T12:53:08.547Z',
      node: 'v20.20.2',
      curl: 'curl 7.88.1',
      server: { kind: 'nginx', version: 'nginx/1.22.1' },
      machine: { cpus: 2, model: 'AMD EPYC', kernel: '6.18' },
      concurrency: 16,
      runs: 3,
      warmup: 1,
      timing: '',
      commands: {},
      workloads: {
        small: {
          files: 2000,
          bytes: 0,
          via: 'http',
          hash: null,
          tools: {
            dlpool: tool(0.55, 0.5, 0.6),
            'node-floor': tool(0.5, 0.45, 0.52),
            curl: tool(0.11, 0.1, 0.12),
          },
        },
      },
      targets: {},
      other: {},
    };
    const lines = renderTable(report).split('\n');
    expect(lines[0]).toBe(BEGIN);
    expect(lines.at(-1)).toBe(END);
    expect(lines[1]).toBe('<!-- prettier-ignore-start -->');
    expect(lines).toContain(
      '| small: 2000 x 16 KiB (nginx, http) | dlpool | 0.550 | 0.500–0.600 | 1.10 | 5.00 | – | 0.28 | 90.0 |',
    );
    expect(lines).toContain('|  | curl | 0.110 | 0.100–0.120 | 0.22 | 1.00 | – | 0.06 | 90.0 |');
    expect(lines.filter((l) => l.startsWith('| ') && !l.startsWith('| workload'))).toHaveLength(3);
  });

  it('replaces only the block, and refuses a page without one', () => {
    const page = `# T\n\n${BEGIN}\nold\n${END}\n\nafter\n`;
    expect(replaceBlock(page, `${BEGIN}\nnew\n${END}`, 'p.md')).toBe(
      `# T\n\n${BEGIN}\nnew\n${END}\n\nafter\n`,
    );
    expect(() => replaceBlock('# T\n', 'x', 'p.md')).toThrow(/p\.md: no /);
  });
});
