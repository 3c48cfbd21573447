import { describe, expect, it } from 'vitest';
import { readCompareConfig } from '../../../../bench/compare/config.js';
import {
  markdownTable,
  otherRatios,
  type RunRecord,
  summarize,
  workloadResult,
} from '../../../../bench/compare/report.js';
import { toolArgv } from '../../../../bench/compare/tools.js';
import { toolsFor } from '../../../../bench/compare/workloads.js';
import { EnvError, EnvReader } from '../../../../bench/lib/env.js';

const run = (label: string, wall: number, extra: Partial<RunRecord> = {}): RunRecord => ({
  label,
  wall_s: wall,
  exit: 0,
  server_cpu_s: 0.1,
  machine_busy_s: 2,
  user_s: wall / 2,
  sys_s: wall / 4,
  cpu_s: (wall * 3) / 4,
  maxrss_kb: 80 * 1024,
  ok: true,
  ...extra,
});

describe('compare bench: result building', () => {
  it('summarize: medians of the runs that passed; a failed run is listed, not counted', () => {
    const s = summarize('small', [
      run('1', 1.2),
      run('2', 1.0),
      run('3', 9.9, { ok: false, failure: 'exit 1; missing s0001.bin (1 in all)' }),
      run('4', 1.4),
    ]);
    expect(s).toMatchObject({ ok_runs: 3, runs: 4, median_s: 1.2, min_s: 1.0, max_s: 1.4 });
    expect(s.files_per_s).toBe(Math.round(2000 / 1.2));
    expect(s.cpu_s_median).toBe(0.9);
    expect(s.maxrss_mib_median).toBe(80);
    expect(s.failures).toEqual(['3: exit 1; missing s0001.bin (1 in all)']);
    expect(s.wall_s).toEqual([1.2, 1.0, null, 1.4]);
  });

  it('summarize: no passing run gives nulls, not NaN', () => {
    const s = summarize('big', [run('1', 3, { ok: false, failure: 'timeout after 300 s' })]);
    expect(s.median_s).toBeNull();
    expect(s.mib_per_s).toBeNull();
    expect(s.maxrss_mib_peak).toBeNull();
    expect(JSON.stringify(s)).not.toContain('NaN');
  });

  it('workloadResult: the ratios of dlpool to each peer measured in the same run', () => {
    const small = workloadResult(
      'small',
      { dlpool: summarize('small', [run('1', 1.5)]), curl: summarize('small', [run('1', 1.0)]) },
      'sha256',
    );
    expect(small.ratio).toEqual({ curl: { time: 1.5, cpu: 1.5, maxrss: 1 } });
    expect(small.hash).toBeNull();
    const table = markdownTable('small', small);
    expect(table).toContain('### small: 2000 x 16 KiB (31.3 MiB), -j 16');
    expect(table).toMatch(/^\| dlpool \| 1\/1 \| 1\.500 \| /m);
  });
});

describe('compare bench: configuration and command lines', () => {
  it('the --http2 rows: in the default run, over TLS only, next to dlpool, curl and wget2', () => {
    const bench = readCompareConfig(new EnvReader({}), 'bench');
    expect(bench.tools).toEqual(expect.arrayContaining(['dlpool', 'dlpool-http2', 'curl', 'wget2']));
    expect(toolsFor('small-https', bench.tools)).toEqual([
      'dlpool',
      'dlpool-http2',
      'node-floor',
      'curl',
      'wget2',
    ]);
    expect(toolsFor('big-https', bench.tools)).toContain('dlpool-http2');
    for (const w of ['small', 'big', 'latency', 'small-hash'] as const)
      expect(toolsFor(w, bench.tools)).not.toContain('dlpool-http2');
    const h1 = summarize('small-https', [run('1', 1.0)]);
    const h2 = summarize('small-https', [run('1', 1.3)]);
    const r = workloadResult('small-https', { dlpool: h1, 'dlpool-http2': h2 }, 'sha256');
    expect(otherRatios({ 'small-https': r }, 'sha256').text).toContain(
      '- small-https: dlpool --http2 / dlpool (HTTP/1.1) 1.30× (< 1: HTTP/2 faster in this run)',
    );
    expect(markdownTable('small-https', r)).toMatch(/^\| dlpool-http2 \| 1\/1 \| 1\.300 \| /m);
  });

  it('presets give defaults that the environment overrides', () => {
    const threads = readCompareConfig(new EnvReader({}), 'threads');
    expect(threads.workloads).toEqual(['small', 'big', 'small-hash', 'big-hash']);
    expect(threads.tools).toContain('dlpool-threads-4');
    expect(threads.resultsFile).toMatch(/bench-results\/threads\.json$/);
    const narrowed = readCompareConfig(
      new EnvReader({ WORKLOADS: 'big-hash', RESULTS: '/tmp/x.json' }),
      'threads',
    );
    expect(narrowed.workloads).toEqual(['big-hash']);
    expect(narrowed.resultsFile).toBe('/tmp/x.json');
    expect(() => readCompareConfig(new EnvReader({ TOOLS: 'baseline' }), 'bench')).toThrow(EnvError);
  });

  it('dlpool variants are matrix points: hashing flags only on the -hash workloads', () => {
    const files = { list: 'L', curlrc: 'C' };
    const cfg = { hash: 'sha256', baselineBin: undefined };
    const args = (tool: Parameters<typeof toolArgv>[0], hashes: boolean) =>
      toolArgv(tool, 'OUT', files, hashes, cfg).slice(2);
    expect(args('dlpool', false)).toEqual(['get', '-q', '-j', '16', '-d', 'OUT', 'L']);
    expect(args('dlpool-threads-2', true)).toEqual(
      'get -q -j 16 --mode threads --hash sha256 --hash-pool inline -w 2 -d OUT L'.split(' '),
    );
    expect(args('dlpool-hashpool-1', true)).toEqual(
      'get -q -j 16 --hash sha256 --hash-pool threads -w 1 -d OUT L'.split(' '),
    );
    expect(toolArgv('dlpool-http2', 'OUT', { ...files, ca: 'CA' }, false, cfg).slice(2)).toEqual(
      'get -q -j 16 --http2 --ca-certificate CA -d OUT L'.split(' '),
    );
    expect(toolArgv('curl', 'OUT', { ...files, ca: 'CA' }, false, cfg)).toEqual(
      'curl -q --cacert CA --no-progress-meter --show-error --fail --parallel --parallel-max 16 --remote-name-all --output-dir OUT -K C'.split(
        ' ',
      ),
    );
  });
});
