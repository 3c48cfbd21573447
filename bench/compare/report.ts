import { median, round } from '../../src/bench/stats.js';
import { fmt, fmtBytes, MiB } from '../lib/log.js';
import {
  J,
  LATENCY_MS,
  PEERS,
  type PeerName,
  SETS,
  type ToolName,
  type Via,
  WORKLOADS,
  type WorkloadName,
} from './workloads.js';

/** The JSON `npm run bench` writes (bench-results/latest.json and the presets' files). */
export interface CompareReport {
  date: string;
  node: string;
  curl: string | null;
  server: { kind: string; version: string };
  machine: { cpus: number; model: string | null; kernel: string };
  concurrency: number;
  runs: number;
  warmup: number;
  timing: string;
  commands: Record<string, string>;
  workloads: Partial<Record<WorkloadName, WorkloadResult>>;
  targets: Record<string, TargetResult>;
}

/** One timed (or warm-up) run of one tool. */
export interface RunRecord {
  label: string;
  wall_s: number;
  exit: number | string | null;
  server_cpu_s: number;
  machine_busy_s: number;
  user_s?: number | undefined;
  sys_s?: number | undefined;
  cpu_s?: number | undefined;
  maxrss_kb?: number | undefined;
  ok: boolean;
  failure?: string | undefined;
}

/** Medians over a tool's runs that passed verification (null where nothing was measured). */
export interface ToolSummary {
  ok_runs: number;
  runs: number;
  median_s: number | null;
  min_s: number | null;
  max_s: number | null;
  files_per_s: number | null;
  mib_per_s: number | null;
  cpu_s_median: number | null;
  user_s_median: number | null;
  sys_s_median: number | null;
  maxrss_mib_median: number | null;
  maxrss_mib_peak: number | null;
  server_cpu_s_median: number | null;
  machine_busy_s_median: number | null;
  failures: string[];
  wall_s: (number | null)[];
}

/** dlpool's median against a peer's (< 1: dlpool is faster / uses less). */
export interface PeerRatio {
  time: number | null;
  cpu: number | null;
  maxrss: number | null;
}

export interface WorkloadResult {
  files: number;
  bytes: number;
  via: Via;
  hash: string | null;
  tools: Partial<Record<ToolName, ToolSummary>>;
  ratio?: Partial<Record<PeerName, PeerRatio>>;
}

export type TargetResult =
  | {
      workload: WorkloadName;
      against: string;
      dlpool_s: number;
      ref_s: number;
      ratio: number | null;
      limit: number;
      pass: boolean;
    }
  | { plain_s: number; hashed_s: number; ratio: number | null; limit: number; pass: boolean }
  | { small_mib: number; big_mib: number; ratio: number | null; pass: boolean };

/**
 * Issue 12's and 13's targets, judged from each run alone: a ratio of dlpool's median to a peer's (or, for the
 * latency list, to its floor of 2000 / 16 x 40 ms), met at or under the limit.
 */
export const TARGETS: readonly {
  key: string;
  label: string;
  workload: WorkloadName;
  against: PeerName | 'floor';
  limit: number;
}[] = [
  {
    key: 'small_vs_wget2',
    label: 'small no slower than wget2',
    workload: 'small',
    against: 'wget2',
    limit: 1,
  },
  { key: 'small_vs_curl', label: 'small within 2× curl (aim)', workload: 'small', against: 'curl', limit: 2 },
  { key: 'big_vs_curl', label: 'big no slower than curl', workload: 'big', against: 'curl', limit: 1 },
  {
    key: 'big_vs_wget2',
    label: 'big no slower than wget2 (aim)',
    workload: 'big',
    against: 'wget2',
    limit: 1,
  },
  {
    key: 'latency_vs_floor',
    label: 'latency within 1.05× its floor',
    workload: 'latency',
    against: 'floor',
    limit: 1.05,
  },
  {
    key: 'small_https_vs_wget2',
    label: 'https small no slower than wget2',
    workload: 'small-https',
    against: 'wget2',
    limit: 1,
  },
  {
    key: 'big_https_vs_curl',
    label: 'https big no slower than curl',
    workload: 'big-https',
    against: 'curl',
    limit: 1,
  },
];
/** get --hash against plain get on big files. */
const HASH_COST_LIMIT = 1.15;
/** dlpool's peak RSS on big files against small ones. */
const RSS_GROWTH_LIMIT = 1.5;
/** The latency workload's floor: every file waits LATENCY_MS, J at a time. */
const LATENCY_FLOOR_S = (SETS.small.count / J) * (LATENCY_MS / 1000);

const roundOrNull = (x: number | undefined, d: number) => (x === undefined ? null : round(x, d));

export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  return a !== null && b !== null && a !== undefined && b !== undefined && b > 0 ? round(a / b, 2) : null;
}

/** A tool's runs on a workload -> its summary. */
export function summarize(w: WorkloadName, runs: readonly RunRecord[]): ToolSummary {
  const def = SETS[WORKLOADS[w].set];
  const ok = runs.filter((r) => r.ok);
  const walls = ok.map((r) => r.wall_s);
  const med = median(walls);
  const pick = (k: 'cpu_s' | 'user_s' | 'sys_s' | 'maxrss_kb' | 'server_cpu_s' | 'machine_busy_s') =>
    ok.map((r) => r[k]).filter((v): v is number => v !== undefined);
  const rss = pick('maxrss_kb');
  const rssMedian = median(rss);
  return {
    ok_runs: ok.length,
    runs: runs.length,
    median_s: roundOrNull(med, 4),
    min_s: walls.length ? Math.min(...walls) : null,
    max_s: walls.length ? Math.max(...walls) : null,
    files_per_s: med ? round(def.count / med, 0) : null,
    mib_per_s: med ? round((def.count * def.size) / MiB / med, 1) : null,
    cpu_s_median: roundOrNull(median(pick('cpu_s')), 3),
    user_s_median: roundOrNull(median(pick('user_s')), 3),
    sys_s_median: roundOrNull(median(pick('sys_s')), 3),
    maxrss_mib_median: rssMedian === undefined ? null : round(rssMedian / 1024, 1),
    maxrss_mib_peak: rss.length ? round(Math.max(...rss) / 1024, 1) : null,
    server_cpu_s_median: roundOrNull(median(pick('server_cpu_s')), 3),
    machine_busy_s_median: roundOrNull(median(pick('machine_busy_s')), 3),
    failures: runs.filter((r) => !r.ok).map((r) => `${r.label}: ${r.failure}`),
    wall_s: runs.map((r) => (r.ok ? r.wall_s : null)),
  };
}

/** A workload's result: its tools' summaries and dlpool's ratios to each peer measured in the same run. */
export function workloadResult(
  w: WorkloadName,
  tools: Partial<Record<ToolName, ToolSummary>>,
  hash: string,
): WorkloadResult {
  const def = SETS[WORKLOADS[w].set];
  const result: WorkloadResult = {
    files: def.count,
    bytes: def.count * def.size,
    via: WORKLOADS[w].via,
    hash: WORKLOADS[w].hash ? hash : null,
    tools,
  };
  const ours = tools.dlpool;
  if (ours) {
    result.ratio = {};
    for (const p of PEERS) {
      const peer = tools[p];
      if (!peer) continue;
      result.ratio[p] = {
        time: ratio(ours.median_s, peer.median_s),
        cpu: ratio(ours.cpu_s_median, peer.cpu_s_median),
        maxrss: ratio(ours.maxrss_mib_median, peer.maxrss_mib_median),
      };
    }
  }
  return result;
}

export function markdownTable(w: WorkloadName, res: WorkloadResult): string {
  const def = SETS[WORKLOADS[w].set];
  const tools = Object.keys(res.tools) as ToolName[];
  const out: string[] = [];
  out.push(
    `### ${w}: ${def.count} x ${fmtBytes(def.size)} (${fmt((def.count * def.size) / MiB, 1)} MiB), -j ${J}` +
      (res.hash ? `, --hash ${res.hash}` : ''),
  );
  out.push('');
  out.push(
    '| tool | ok runs | median s | min–max s | files/s | MiB/s | × curl | × wget2 | × node-floor | ' +
      'client CPU s (user+sys) | max RSS MiB (median / peak) | server CPU s | machine busy CPU-s |',
  );
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const med = (t: ToolName) => res.tools[t]?.median_s ?? null;
  for (const t of tools) {
    const s = res.tools[t]!;
    const cpu =
      s.cpu_s_median === null
        ? '–'
        : `${fmt(s.cpu_s_median, 2)} (${fmt(s.user_s_median, 2)}+${fmt(s.sys_s_median, 2)})`;
    const range = s.min_s === null ? '–' : `${fmt(s.min_s, 3)}–${fmt(s.max_s, 3)}`;
    out.push(
      `| ${t} | ${s.ok_runs}/${s.runs} | ${fmt(s.median_s, 3)} | ${range} | ` +
        `${fmt(s.files_per_s, 0)} | ${fmt(s.mib_per_s, 1)} | ${fmt(ratio(s.median_s, med('curl')), 2)} | ` +
        `${fmt(ratio(s.median_s, med('wget2')), 2)} | ${fmt(ratio(s.median_s, med('node-floor')), 2)} | ${cpu} | ` +
        `${fmt(s.maxrss_mib_median, 1)} / ${fmt(s.maxrss_mib_peak, 1)} | ${fmt(s.server_cpu_s_median, 2)} | ` +
        `${fmt(s.machine_busy_s_median, 2)} |`,
    );
  }
  if (res.ratio && Object.keys(res.ratio).length > 0) {
    out.push('');
    const parts = Object.entries(res.ratio).map(
      ([p, r]) => `dlpool/${p}: time ${fmt(r.time, 2)}×, client CPU ${fmt(r.cpu, 2)}×`,
    );
    out.push(`${parts.join('; ')} (< 1 means dlpool is faster / uses less)`);
  }
  for (const t of tools) {
    for (const f of res.tools[t]!.failures) out.push(`- failed: ${t} run ${f}`);
  }
  return out.join('\n');
}

/** The targets of this run: the text for the report and the JSON. */
export function targets(
  results: Partial<Record<WorkloadName, WorkloadResult>>,
  hash: string,
): { text: string; json: Record<string, TargetResult> } {
  const lines = ['### Targets (ratios of medians in this run)', ''];
  const t: Record<string, TargetResult> = {};
  for (const { key, label, workload: w, against, limit } of TARGETS) {
    const r = results[w];
    const ours = r?.tools.dlpool?.median_s;
    const ref = against === 'floor' ? LATENCY_FLOOR_S : r?.tools[against]?.median_s;
    if (!ours || !ref) {
      lines.push(`- ${label}: not measured (needs dlpool and ${against} in ${w})`);
      continue;
    }
    const x = ratio(ours, ref);
    const pass = x !== null && x <= limit;
    t[key] = { workload: w, against, dlpool_s: ours, ref_s: round(ref, 3), ratio: x, limit, pass };
    lines.push(
      `- ${label}: dlpool ${fmt(ours, 3)} s / ${against} ${fmt(ref, 3)} s = ${fmt(x, 2)}× (≤ ${limit}) → ` +
        `${pass ? 'PASS' : 'MISS'}`,
    );
  }
  for (const [w, r] of Object.entries(results)) {
    const x = r.ratio?.['node-floor']?.time;
    if (x)
      lines.push(
        `- ${w}: dlpool / node-floor ${fmt(x, 2)}× (what dlpool's own code costs over Node + undici)`,
      );
  }
  for (const [w, r] of Object.entries(results)) {
    const h2 = r.tools['dlpool-http2']?.median_s;
    const h1 = r.tools.dlpool?.median_s;
    if (h2 && h1)
      lines.push(
        `- ${w}: dlpool --http2 / dlpool (HTTP/1.1) ${fmt(ratio(h2, h1), 2)}× (< 1: HTTP/2 faster in this run)`,
      );
  }
  // Issue 13: digests as the bytes arrive cost little next to the download itself.
  for (const tool of ['dlpool', 'dlpool-hashpool-1', 'dlpool-hashpool-2'] as const) {
    const plain = results.big?.tools.dlpool?.median_s;
    const hashed = results['big-hash']?.tools[tool]?.median_s;
    if (!plain || !hashed) continue;
    const x = ratio(hashed, plain);
    const pass = x !== null && x <= HASH_COST_LIMIT;
    t[`big_hash_${tool}`] = { plain_s: plain, hashed_s: hashed, ratio: x, limit: HASH_COST_LIMIT, pass };
    lines.push(
      `- get --hash ${hash} (${tool}) / plain get (dlpool), big: ${fmt(hashed, 3)} s / ${fmt(plain, 3)} s = ` +
        `${fmt(x, 2)}× (≤ ${HASH_COST_LIMIT}) → ${pass ? 'PASS' : 'MISS'}`,
    );
  }
  const rs = results.small?.tools.dlpool?.maxrss_mib_peak;
  const rb = results.big?.tools.dlpool?.maxrss_mib_peak;
  if (rs && rb) {
    const pass = rb <= RSS_GROWTH_LIMIT * rs;
    t.rss_big_vs_small = { small_mib: rs, big_mib: rb, ratio: ratio(rb, rs), pass };
    lines.push(
      `- memory: dlpool peak RSS big ${fmt(rb, 1)} MiB vs small ${fmt(rs, 1)} MiB = ${fmt(rb / rs, 2)}× ` +
        `(target ≤ ${RSS_GROWTH_LIMIT}×) → ${pass ? 'PASS' : 'MISS'}`,
    );
  } else lines.push('- memory: needs dlpool max RSS of both workloads (and /usr/bin/time)');
  return { text: lines.join('\n'), json: t };
}
