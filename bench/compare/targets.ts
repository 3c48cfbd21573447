import { round } from '../../src/bench/stats.js';
import { fmt } from '../lib/log.js';
import { J, LATENCY_MS, SETS, type StartupRow, type ToolName, type WorkloadName } from './workloads.js';

type Med = { median_s: number | null } | undefined;

/** What one run measured, as the targets read it: each tool's (or start-up command's) median. */
export interface Measured {
  workloads: Partial<Record<WorkloadName, { tools: Partial<Record<ToolName, Med>> }>>;
  startup?: { rows: Partial<Record<StartupRow, Med>> } | undefined;
}

/** a / b to two decimals, or null when either is missing. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  return a !== null && b !== null && a !== undefined && b !== undefined && b > 0 ? round(a / b, 2) : null;
}

/** 'n/a' when dlpool or the reference was not measured (left out, not installed, or every run failed). */
export type Verdict = 'PASS' | 'MISS' | 'n/a';

export interface TargetResult {
  label: string;
  /** Where both medians come from: a workload, or 'startup'. */
  workload: WorkloadName | 'startup';
  ours: string;
  against: string;
  ours_s: number | null;
  ref_s: number | null;
  ratio: number | null;
  limit: number;
  verdict: Verdict;
  /** The BASELINE_BIN build's ratio to the same reference, when it ran. */
  baseline_ratio?: number | null;
}

/** The latency workload's floor: every file waits LATENCY_MS, J at a time. */
export const LATENCY_FLOOR_S = (SETS.small.count / J) * (LATENCY_MS / 1000);

type Side = { workload: WorkloadName; tool: ToolName | 'floor' } | { workload: 'startup'; tool: StartupRow };

interface TargetDef {
  key: string;
  label: string;
  ours: Side;
  against: Side;
  /** The same ratio for the baseline build. */
  baseline?: Side;
  limit: number;
}

const w = (workload: WorkloadName, tool: ToolName | 'floor'): Side => ({ workload, tool });
const s = (tool: StartupRow): Side => ({ workload: 'startup', tool });

/**
 * The targets each run is judged by: dlpool's median over a peer's in the same run (the latency list over its
 * floor of 2000 / 16 x 40 ms), met at or under the limit.
 */
export const TARGETS: readonly TargetDef[] = [
  {
    key: 'small_vs_node_floor',
    label: 'small within 1.10× node-floor',
    ours: w('small', 'dlpool'),
    against: w('small', 'node-floor'),
    baseline: w('small', 'baseline'),
    limit: 1.1,
  },
  {
    key: 'small_vs_wget2',
    label: 'small no slower than wget2',
    ours: w('small', 'dlpool'),
    against: w('small', 'wget2'),
    baseline: w('small', 'baseline'),
    limit: 1,
  },
  {
    key: 'small_https_vs_node_floor',
    label: 'small over TLS within 1.15× node-floor',
    ours: w('small-https', 'dlpool'),
    against: w('small-https', 'node-floor'),
    baseline: w('small-https', 'baseline'),
    limit: 1.15,
  },
  {
    key: 'latency_vs_floor',
    label: 'latency within 1.10× its floor',
    ours: w('latency', 'dlpool'),
    against: w('latency', 'floor'),
    baseline: w('latency', 'baseline'),
    limit: 1.1,
  },
  {
    key: 'big_vs_curl',
    label: 'big within 1.20× curl',
    ours: w('big', 'dlpool'),
    against: w('big', 'curl'),
    baseline: w('big', 'baseline'),
    limit: 1.2,
  },
  {
    key: 'big_https_vs_curl',
    label: 'big over TLS within 1.20× curl',
    ours: w('big-https', 'dlpool'),
    against: w('big-https', 'curl'),
    baseline: w('big-https', 'baseline'),
    limit: 1.2,
  },
  {
    key: 'startup_get_vs_node',
    label: 'one-file get within 1.8× `node -e 0`',
    ours: s('dlpool get'),
    against: s('node -e 0'),
    baseline: s('baseline get'),
    limit: 1.8,
  },
  {
    key: 'startup_version_vs_node',
    label: '--version within 1.5× `node -e 0`',
    ours: s('dlpool --version'),
    against: s('node -e 0'),
    baseline: s('baseline --version'),
    limit: 1.5,
  },
];

/** A side's median in seconds, or undefined when it was not measured. */
function median(m: Measured, side: Side): number | undefined {
  if (side.workload === 'startup') return m.startup?.rows[side.tool]?.median_s ?? undefined;
  if (side.tool === 'floor') return side.workload === 'latency' ? LATENCY_FLOOR_S : undefined;
  return m.workloads[side.workload]?.tools[side.tool]?.median_s ?? undefined;
}

const sideName = (side: Side): string => side.tool;

/** One target judged from one run. */
export function judge(def: TargetDef, m: Measured): TargetResult {
  const ours = median(m, def.ours);
  const ref = median(m, def.against);
  const x = ours !== undefined && ref !== undefined ? ratio(ours, ref) : null;
  const verdict: Verdict = x === null ? 'n/a' : x <= def.limit ? 'PASS' : 'MISS';
  const result: TargetResult = {
    label: def.label,
    workload: def.ours.workload,
    ours: sideName(def.ours),
    against: sideName(def.against),
    ours_s: ours ?? null,
    ref_s: ref === undefined ? null : round(ref, 4),
    ratio: x,
    limit: def.limit,
    verdict,
  };
  const base = def.baseline && median(m, def.baseline);
  if (base !== undefined) result.baseline_ratio = ref === undefined ? null : ratio(base, ref);
  return result;
}

/** The line of one judged target in the text report. */
export function targetLine(t: TargetResult): string {
  const where = t.workload === 'startup' ? 'start-up' : t.workload;
  const base = t.baseline_ratio === undefined ? '' : `; baseline ${fmt(t.baseline_ratio, 2)}×`;
  if (t.verdict === 'n/a') {
    const lacking = [t.ours_s === null ? t.ours : undefined, t.ref_s === null ? t.against : undefined]
      .filter(Boolean)
      .join(' and ');
    return `- n/a  ${t.label}: ${lacking} not measured in ${where} (limit ${t.limit}×)${base}`;
  }
  return (
    `- ${t.verdict} ${t.label}: ${t.ours} ${fmt(t.ours_s, 3)} s / ${t.against} ${fmt(t.ref_s, 3)} s = ` +
    `${fmt(t.ratio, 2)}× (limit ${t.limit}×)${base}`
  );
}

/** Every target of this run: the text for the report and the JSON. */
export function judgeTargets(m: Measured): {
  text: string;
  json: Record<string, TargetResult>;
} {
  const json: Record<string, TargetResult> = {};
  const lines = ['### Targets (ratios of medians in this run)', ''];
  for (const def of TARGETS) {
    const t = judge(def, m);
    json[def.key] = t;
    lines.push(targetLine(t));
  }
  const counts = Object.values(json).reduce<Record<Verdict, number>>(
    (c, t) => ({ ...c, [t.verdict]: c[t.verdict] + 1 }),
    { PASS: 0, MISS: 0, 'n/a': 0 },
  );
  lines.push('', `${counts.PASS} PASS, ${counts.MISS} MISS, ${counts['n/a']} n/a of ${TARGETS.length}`);
  return { text: lines.join('\n'), json };
}
