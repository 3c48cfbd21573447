import { describe, expect, it } from 'vitest';
import { readCompareConfig } from '../../../../bench/compare/config.js';
import {
  type RunRecord,
  startupResult,
  startupTable,
  summarize,
  workloadResult,
} from '../../../../bench/compare/report.js';
import { startupArgv, startupRows } from '../../../../bench/compare/startup.js';
import { judgeTargets, type Measured, TARGETS } from '../../../../bench/compare/targets.js';
import type { StartupRow, ToolName, WorkloadName } from '../../../../bench/compare/workloads.js';
import { EnvError, EnvReader } from '../../../../bench/lib/env.js';

const run = (label: string, wall: number, extra: Partial<RunRecord> = {}): RunRecord => ({
  label,
  wall_s: wall,
  exit: 0,
  server_cpu_s: 0,
  machine_busy_s: 0,
  user_s: wall / 2,
  sys_s: wall / 4,
  cpu_s: (wall * 3) / 4,
  maxrss_kb: 60 * 1024,
  ok: true,
  ...extra,
});

/** A workload where each tool ran once with the given wall time. */
function workload(w: WorkloadName, walls: Partial<Record<ToolName, number>>) {
  const tools = Object.fromEntries(Object.entries(walls).map(([t, s]) => [t, summarize(w, [run('1', s)])]));
  return workloadResult(w, tools, 'sha256');
}

function startup(walls: Partial<Record<StartupRow, number>>) {
  const runs = new Map(Object.entries(walls).map(([r, s]) => [r as StartupRow, [run('1', s), run('2', s)]]));
  return startupResult('http://127.0.0.1:1/small/s0000.bin', { runs: 2, warmup: 1 }, runs);
}

/** Every target met, each ratio at or just under its limit. */
const passing = (): Measured => ({
  workloads: {
    small: workload('small', { dlpool: 0.44, 'node-floor': 0.4, wget2: 0.45, baseline: 0.7 }),
    'small-https': workload('small-https', { dlpool: 0.69, 'node-floor': 0.6 }),
    latency: workload('latency', { dlpool: 5.5 }),
    big: workload('big', { dlpool: 0.72, curl: 0.6 }),
    'big-https': workload('big-https', { dlpool: 0.6, curl: 0.6 }),
  },
  startup: startup({
    'node -e 0': 0.1,
    'dlpool --version': 0.15,
    'dlpool get': 0.18,
    'baseline get': 0.24,
  }),
});

describe('compare bench: the targets judged from one run', () => {
  it('every target PASSes at or under its limit, in the JSON and the text', () => {
    const t = judgeTargets(passing());
    expect(Object.keys(t.json)).toEqual(TARGETS.map((d) => d.key));
    for (const [key, r] of Object.entries(t.json)) expect(r.verdict, key).toBe('PASS');
    expect(t.json.small_vs_node_floor).toMatchObject({
      ours: 'dlpool',
      against: 'node-floor',
      ours_s: 0.44,
      ref_s: 0.4,
      ratio: 1.1,
      limit: 1.1,
      baseline_ratio: 1.75,
    });
    expect(t.json.latency_vs_floor).toMatchObject({ ref_s: 5, ratio: 1.1, limit: 1.1 });
    expect(t.json.startup_get_vs_node).toMatchObject({ ratio: 1.8, limit: 1.8, baseline_ratio: 2.4 });
    expect(t.json.startup_version_vs_node).toMatchObject({ ratio: 1.5, limit: 1.5 });
    expect(t.text).toContain(
      '- PASS small within 1.10× node-floor: dlpool 0.440 s / node-floor 0.400 s = 1.10× (limit 1.1×); ' +
        'baseline 1.75×',
    );
    expect(t.text).toContain(
      '- PASS one-file get within 1.8× `node -e 0`: dlpool get 0.180 s / node -e 0 0.100 s = 1.80× (limit 1.8×)',
    );
    expect(t.text).toContain('8 PASS, 0 MISS, 0 n/a of 8');
  });

  it('a ratio over its limit is a MISS', () => {
    const m = passing();
    m.workloads.small = workload('small', { dlpool: 0.46, 'node-floor': 0.4, wget2: 0.45 });
    m.workloads['big-https'] = workload('big-https', { dlpool: 0.85, curl: 0.7 });
    m.workloads.latency = workload('latency', { dlpool: 5.6 });
    m.startup = startup({ 'node -e 0': 0.1, 'dlpool --version': 0.16, 'dlpool get': 0.24 });
    const t = judgeTargets(m);
    expect(t.json.small_vs_node_floor).toMatchObject({ ratio: 1.15, verdict: 'MISS' });
    expect(t.json.small_vs_wget2).toMatchObject({ ratio: 1.02, verdict: 'MISS' });
    expect(t.json.big_https_vs_curl).toMatchObject({ ratio: 1.21, verdict: 'MISS' });
    expect(t.json.latency_vs_floor).toMatchObject({ ratio: 1.12, verdict: 'MISS' });
    expect(t.json.startup_get_vs_node).toMatchObject({ ratio: 2.4, verdict: 'MISS' });
    expect(t.json.startup_version_vs_node).toMatchObject({ ratio: 1.6, verdict: 'MISS' });
    expect(t.json.big_vs_curl!.verdict).toBe('PASS');
    expect(t.text).toContain(
      '- MISS big over TLS within 1.20× curl: dlpool 0.850 s / curl 0.700 s = 1.21× (limit 1.2×)',
    );
    expect(t.text).toContain('2 PASS, 6 MISS, 0 n/a of 8');
  });

  it('a missing peer, workload or start-up row is n/a, never PASS', () => {
    const t = judgeTargets({
      workloads: {
        small: workload('small', { dlpool: 0.3, 'node-floor': 0.4 }), // no wget2
        big: workload('big', { curl: 0.6 }), // no dlpool
      },
      startup: startup({ 'dlpool get': 0.15, 'dlpool --version': 0.12 }), // no node -e 0
    });
    expect(t.json.small_vs_node_floor!.verdict).toBe('PASS');
    for (const key of [
      'small_vs_wget2',
      'big_vs_curl',
      'small_https_vs_node_floor',
      'latency_vs_floor',
      'big_https_vs_curl',
      'startup_get_vs_node',
      'startup_version_vs_node',
    ])
      expect(t.json[key], key).toMatchObject({ ratio: null, verdict: 'n/a' });
    expect(t.json.small_vs_wget2).toMatchObject({ ours_s: 0.3, ref_s: null });
    expect(t.text).toContain('- n/a  small no slower than wget2: wget2 not measured in small (limit 1×)');
    expect(t.text).toContain('- n/a  big within 1.20× curl: dlpool not measured in big (limit 1.2×)');
    expect(t.text).toContain('- n/a  latency within 1.10× its floor: dlpool not measured in latency');
    expect(t.text).toContain('node -e 0 not measured in start-up');
    expect(t.text).toContain('1 PASS, 0 MISS, 7 n/a of 8');
  });

  it('a tool whose every run failed has no median: n/a, not a ratio of null', () => {
    const failed = summarize('small', [run('1', 0.1, { ok: false, failure: 'exit 1' })]);
    const small = workloadResult(
      'small',
      { dlpool: failed, 'node-floor': summarize('small', [run('1', 0.4)]) },
      'x',
    );
    const t = judgeTargets({ workloads: { small } });
    expect(t.json.small_vs_node_floor).toMatchObject({ ours_s: null, verdict: 'n/a' });
    expect(JSON.stringify(t.json)).not.toContain('NaN');
  });
});

describe('compare bench: the startup workload', () => {
  it("WORKLOADS takes 'startup' beside the download workloads; STARTUP_RUNS is checked", () => {
    const dflt = readCompareConfig(new EnvReader({}), 'bench');
    expect(dflt).toMatchObject({ startup: true, startupRuns: 30 });
    expect(dflt.workloads).not.toContain('startup');
    const only = readCompareConfig(new EnvReader({ WORKLOADS: 'startup', STARTUP_RUNS: '7' }), 'bench');
    expect(only).toMatchObject({ workloads: [], startup: true, startupRuns: 7 });
    expect(readCompareConfig(new EnvReader({ WORKLOADS: 'small' }), 'bench').startup).toBe(false);
    expect(readCompareConfig(new EnvReader({}), 'threads').startup).toBe(false);
    expect(() => readCompareConfig(new EnvReader({ STARTUP_RUNS: '0' }), 'bench')).toThrow(
      new EnvError('STARTUP_RUNS', "must be a whole number >= 1, got '0'"),
    );
  });

  it('rows for the builds among TOOLS, bare Node always; command lines', () => {
    expect(startupRows({ tools: ['dlpool', 'curl'] })).toEqual([
      'node -e 0',
      'dlpool --version',
      'dlpool get',
    ]);
    expect(startupRows({ tools: ['dlpool', 'baseline'] })).toHaveLength(5);
    const cfg = { baselineBin: '/old/bin/dlpool.js' };
    expect(startupArgv('node -e 0', 'U', 'D', cfg).slice(1)).toEqual(['-e', '0']);
    expect(startupArgv('baseline --version', 'U', 'D', cfg).slice(1)).toEqual([
      '/old/bin/dlpool.js',
      '--version',
    ]);
    expect(startupArgv('dlpool get', 'U', 'D', cfg).slice(2)).toEqual(['get', 'U', '-q', '-d', 'D']);
  });

  it('the table: medians and the ratio to bare Node', () => {
    const text = startupTable(startup({ 'node -e 0': 0.1, 'dlpool get': 0.21 }));
    expect(text).toMatch(/^\| node -e 0 \| 2\/2 \| 0\.100 \| 0\.100–0\.100 \| 1\.00 \| /m);
    expect(text).toMatch(/^\| dlpool get \| 2\/2 \| 0\.210 \| 0\.210–0\.210 \| 2\.10 \| /m);
  });
});
