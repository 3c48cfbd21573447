import { median, round } from '../../src/bench/stats.js';
import { fmt, fmtBytes, MiB } from '../lib/log.js';
import { ratio, type TargetResult } from './targets.js';
import {
  type CorpusSet,
  J,
  PEERS,
  type PeerName,
  SETS,
  type StartupRow,
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
  /** Empty files the output folder's file system created per second just before the workloads, and after them. */
  createsPerS?: number | undefined;
  createsAfterPerS?: number | undefined;
  concurrency: number;
  runs: number;
  warmup: number;
  timing: string;
  commands: Record<string, string>;
  workloads: Partial<Record<WorkloadName, WorkloadResult>>;
  startup?: StartupResult | undefined;
  targets: Record<string, TargetResult>;
  /** Ratios beside the targets (dlpool over node-floor, --http2 over HTTP/1.1, hashing, memory growth). */
  other: Record<string, number | null>;
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

const roundOrNull = (x: number | undefined, d: number) => (x === undefined ? null : round(x, d));

/** The start-up workload's result: each command's summary. */
export interface StartupResult {
  url: string;
  runs: number;
  warmup: number;
  rows: Partial<Record<StartupRow, ToolSummary>>;
}

/** One small file's worth of bytes, for the summaries of the start-up commands. */
const ONE_FILE: CorpusSet = { count: 1, size: SETS.small.size, name: SETS.small.name };

export function startupResult(
  url: string,
  cfg: { runs: number; warmup: number },
  runs: ReadonlyMap<StartupRow, readonly RunRecord[]>,
): StartupResult {
  const rows: StartupResult['rows'] = {};
  for (const [row, rs] of runs) rows[row] = summarizeRuns(ONE_FILE, rs);
  return { url, runs: cfg.runs, warmup: cfg.warmup, rows };
}

export function startupTable(r: StartupResult): string {
  const node = r.rows['node -e 0']?.median_s ?? null;
  const out = [
    `### startup: bare Node, --version, and get of one ${fmtBytes(SETS.small.size)} file, ${r.runs} runs each`,
    '',
    '| command | ok runs | median s | min–max s | × node -e 0 | client CPU s (user+sys) | max RSS MiB |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const [row, s] of Object.entries(r.rows)) {
    const range = s.min_s === null ? '–' : `${fmt(s.min_s, 3)}–${fmt(s.max_s, 3)}`;
    const cpu =
      s.cpu_s_median === null
        ? '–'
        : `${fmt(s.cpu_s_median, 3)} (${fmt(s.user_s_median, 3)}+${fmt(s.sys_s_median, 3)})`;
    out.push(
      `| ${row} | ${s.ok_runs}/${s.runs} | ${fmt(s.median_s, 3)} | ${range} | ` +
        `${fmt(ratio(s.median_s, node), 2)} | ${cpu} | ${fmt(s.maxrss_mib_median, 1)} |`,
    );
  }
  for (const [row, s] of Object.entries(r.rows))
    for (const f of s.failures) out.push(`- failed: ${row} run ${f}`);
  return out.join('\n');
}

/** A tool's runs on a workload -> its summary. */
export function summarize(w: WorkloadName, runs: readonly RunRecord[]): ToolSummary {
  return summarizeRuns(SETS[WORKLOADS[w].set], runs);
}

/** Runs that each downloaded `def` -> their summary. */
export function summarizeRuns(def: CorpusSet, runs: readonly RunRecord[]): ToolSummary {
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

/**
 * Ratios printed beside the targets, none of them judged: what dlpool's own code costs over node-floor, --http2
 * over HTTP/1.1, get --hash over plain get on big files, and peak RSS on big files over small ones.
 */
export function otherRatios(
  results: Partial<Record<WorkloadName, WorkloadResult>>,
  hash: string,
): { text: string; json: Record<string, number | null> } {
  const lines: string[] = [];
  const json: Record<string, number | null> = {};
  for (const [w, r] of Object.entries(results)) {
    const x = r.ratio?.['node-floor']?.time;
    if (!x) continue;
    json[`${w}_vs_node_floor`] = x;
    lines.push(`- ${w}: dlpool / node-floor ${fmt(x, 2)}× (what dlpool's own code costs over Node + undici)`);
  }
  for (const [w, r] of Object.entries(results)) {
    const x = ratio(r.tools['dlpool-http2']?.median_s, r.tools.dlpool?.median_s);
    if (x === null) continue;
    json[`${w}_http2_vs_http1`] = x;
    lines.push(`- ${w}: dlpool --http2 / dlpool (HTTP/1.1) ${fmt(x, 2)}× (< 1: HTTP/2 faster in this run)`);
  }
  for (const tool of ['dlpool', 'dlpool-hashpool-1', 'dlpool-hashpool-2'] as const) {
    const plain = results.big?.tools.dlpool?.median_s;
    const hashed = results['big-hash']?.tools[tool]?.median_s;
    const x = ratio(hashed, plain);
    if (x === null) continue;
    json[`big_hash_${tool}`] = x;
    lines.push(
      `- get --hash ${hash} (${tool}) / plain get (dlpool), big: ${fmt(hashed, 3)} s / ${fmt(plain, 3)} s = ` +
        `${fmt(x, 2)}×`,
    );
  }
  const rs = results.small?.tools.dlpool?.maxrss_mib_peak;
  const rb = results.big?.tools.dlpool?.maxrss_mib_peak;
  const x = ratio(rb, rs);
  if (x !== null) {
    json.rss_big_vs_small = x;
    lines.push(`- memory: dlpool peak RSS big ${fmt(rb, 1)} MiB / small ${fmt(rs, 1)} MiB = ${fmt(x, 2)}×`);
  }
  return { text: lines.length ? ['### Other ratios', '', ...lines].join('\n') : '', json };
}
