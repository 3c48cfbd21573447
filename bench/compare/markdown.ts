import fs from 'node:fs';
import { EnvError } from '../lib/env.js';
import type { BenchEntry } from '../lib/main.js';
import { fmt, fmtBytes } from '../lib/log.js';
import type { CompareReport, ToolSummary, WorkloadResult } from './report.js';
import { ratio, type TargetResult, targetLine } from './targets.js';
import { SETS, WORKLOADS, type ToolName, type WorkloadName } from './workloads.js';

/**
 * docs/benchmarks.md's one results table, rendered from a compare run's JSON (bench-results/latest.json), so the
 * page shows what one run measured and nothing typed by hand. A test renders the committed JSON again and
 * compares it with the page.
 */
export const BEGIN = '<!-- bench-table: rendered by `npm run bench:doc` from bench-results/latest.json -->';
export const END = '<!-- /bench-table -->';

const VIA: Record<string, string> = {
  http: 'nginx, http',
  https: 'nginx, https, h2 offered',
  latency: '40 ms a response',
};

function describe(w: WorkloadName, res: WorkloadResult): string {
  const def = WORKLOADS[w] as { set?: keyof typeof SETS } | undefined;
  const set = def?.set === undefined ? undefined : SETS[def.set];
  const size = set === undefined ? '' : `: ${set.count} x ${fmtBytes(set.size)}`;
  return `${w}${size} (${VIA[res.via] ?? res.via}${res.hash ? `, --hash ${res.hash}` : ''})`;
}

/** A target as the report says it; a report from before verdicts had only pass and limit. */
function judged(
  key: string,
  t: TargetResult | { ratio: number | null; limit?: number; pass: boolean },
): string {
  if ('verdict' in t) return targetLine(t);
  return `- ${t.pass ? 'PASS' : 'MISS'} ${key}: ${fmt(t.ratio, 2)}×${t.limit === undefined ? '' : ` (limit ${t.limit}×)`}`;
}

/** The block between BEGIN and END: the run's setting, one row per workload and tool, the targets judged. */
export function renderTable(report: CompareReport): string {
  const when = report.date.replace('T', ' ').replace(/:\d\d\.\d+Z$/, ' UTC');
  const out = [
    BEGIN,
    // prettier would pad a narrow table's columns, and the page would no longer be what this renders
    '<!-- prettier-ignore-start -->',
    '',
    `One run of \`npm run bench\`, ${when}: ${report.server.version} on 127.0.0.1, Node ${report.node}, ` +
      `${report.curl ?? 'no curl'}; ${report.machine.cpus} CPUs (${report.machine.model ?? 'unknown'}, kernel ` +
      `${report.machine.kernel}) shared by client and server; ${report.runs} timed runs per tool after ` +
      `${report.warmup} warm-up, interleaved, -j ${report.concurrency}. Medians of the runs that passed ` +
      'verification, their min–max beside; client CPU is user+sys of the client process.' +
      (report.createsPerS === undefined
        ? ''
        : ` The output folder's file system created ${report.createsPerS} empty files/s before the runs` +
          (report.createsAfterPerS === undefined ? '' : ` and ${report.createsAfterPerS} after them`) +
          ' (each small file costs every tool one).'),
    '',
    '| workload | tool | median s | min–max s | × node-floor (start-up: × node -e 0) | × curl | × wget2 | ' +
      'client CPU s | peak RSS MiB |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const [w, res] of Object.entries(report.workloads) as [WorkloadName, WorkloadResult][]) {
    const med = (t: ToolName) => res.tools[t]?.median_s ?? null;
    let first = true;
    for (const [tool, s] of Object.entries(res.tools) as [
      ToolName,
      NonNullable<WorkloadResult['tools'][ToolName]>,
    ][]) {
      const range = s.min_s === null ? '–' : `${fmt(s.min_s, 3)}–${fmt(s.max_s, 3)}`;
      const failed = s.ok_runs < s.runs ? ` (${s.ok_runs}/${s.runs} ok)` : '';
      out.push(
        `| ${first ? describe(w, res) : ''} | ${tool}${failed} | ${fmt(s.median_s, 3)} | ${range} | ` +
          `${fmt(ratio(s.median_s, med('node-floor')), 2)} | ${fmt(ratio(s.median_s, med('curl')), 2)} | ` +
          `${fmt(ratio(s.median_s, med('wget2')), 2)} | ${fmt(s.cpu_s_median, 2)} | ${fmt(s.maxrss_mib_peak, 1)} |`,
      );
      first = false;
    }
  }
  if (report.startup) {
    const rows = Object.entries(report.startup.rows) as [string, ToolSummary][];
    const node = report.startup.rows['node -e 0']?.median_s ?? null;
    rows.forEach(([row, s], i) => {
      const range = s.min_s === null ? '–' : `${fmt(s.min_s, 3)}–${fmt(s.max_s, 3)}`;
      const head =
        i === 0 ? `start-up: one ${fmtBytes(SETS.small.size)} file, ${report.startup!.runs} runs` : '';
      out.push(
        `| ${head} | ${row} | ${fmt(s.median_s, 3)} | ${range} | ${fmt(ratio(s.median_s, node), 2)} | – | – | ` +
          `${fmt(s.cpu_s_median, 3)} | ${fmt(s.maxrss_mib_peak, 1)} |`,
      );
    });
  }
  const targets = Object.entries(report.targets);
  if (targets.length > 0) {
    out.push('', 'Targets, judged from this run alone:', '');
    for (const [key, t] of targets) out.push(judged(key, t));
  }
  out.push('', '<!-- prettier-ignore-end -->', END);
  return out.join('\n');
}

/** `text` with its BEGIN...END block replaced by `block`; an error when the page has no such block. */
export function replaceBlock(text: string, block: string, file: string): string {
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${file}: no ${BEGIN} ... ${END} block`);
  return text.slice(0, start) + block + text.slice(end + END.length);
}

interface DocConfig {
  json: string;
  doc: string;
}

/** `node dist-bench/bench/main.js doc [JSON] [DOC]`: writes the table of JSON into DOC's block. */
export const docEntry: BenchEntry<DocConfig> = {
  name: 'bench:doc',
  configure(_env, args) {
    if (args.length > 2)
      throw new EnvError('ARGS', `expected at most JSON and DOC, got ${args.length} arguments`);
    return { json: args[0] ?? 'bench-results/latest.json', doc: args[1] ?? 'docs/benchmarks.md' };
  },
  run(cfg) {
    const report = JSON.parse(fs.readFileSync(cfg.json, 'utf8')) as CompareReport;
    const page = fs.readFileSync(cfg.doc, 'utf8');
    fs.writeFileSync(cfg.doc, replaceBlock(page, renderTable(report), cfg.doc));
    process.stdout.write(`${cfg.doc}: table rendered from ${cfg.json}\n`);
    return Promise.resolve(0);
  },
};
