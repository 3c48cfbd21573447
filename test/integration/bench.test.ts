import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildMatrix, DEFAULT_AXES } from '../../src/bench/matrix.js';
import { type BenchEvent, runBench } from '../../src/bench/run.js';
import { startServer } from '../helpers/http.js';
import { tmpDir } from '../helpers/tmp.js';

const FILES = ['a.bin', 'b.bin', 'c.bin', 'd.bin'];
const content = (name: string) => Buffer.alloc(40_000 + name.charCodeAt(0), name.charCodeAt(0));
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A list of four files on a real loopback server; `corrupt(name, n)` decides whether the n-th request lies. */
async function setup(corrupt: (name: string, n: number) => boolean = () => false) {
  const counts = new Map<string, number>();
  const s = await startServer((req, res) => {
    const name = req.url!.slice(1);
    const n = (counts.get(name) ?? 0) + 1;
    counts.set(name, n);
    const body = Buffer.from(content(name));
    if (corrupt(name, n)) body[100] = 255 - body[100]!;
    res.writeHead(200, { 'content-length': String(body.length) }).end(body);
  });
  const dir = await tmpDir();
  const list = path.join(dir, 'list.txt');
  await fsp.writeFile(list, FILES.map((f) => `${s.url}/${f}\n`).join(''));
  const expected = new Map(FILES.map((f) => [f, sha256(content(f))]));
  return { s, list, expected, tmp: dir };
}

describe('dlpool bench', () => {
  it('the default matrix covers sequential, concurrent, threads and every pool without the full product', () => {
    const keys = buildMatrix(DEFAULT_AXES).map((c) => c.key);
    expect(keys).toContain('async -j 1 hash=none');
    expect(keys).toContain('async -j 64 hash=none');
    expect(keys).toContain('threads -j 16 -w 4 hash=none');
    expect(keys).toContain('async -j 16 hash=inline');
    expect(keys).toContain('async -j 16 -w 2 hash=processes');
    expect(keys.length).toBeLessThan(2 * 4 * 3 * 4);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('measures every configuration, verifies every run and removes its directories', async () => {
    const { s, list, expected, tmp } = await setup();
    const rounds: Extract<BenchEvent, { type: 'round' }>[] = [];
    try {
      const report = await runBench({
        workloads: [{ name: 'tiny', description: 'four files', sources: [list], expected }],
        axes: {
          modes: ['async', 'threads'],
          concurrency: [1, 4],
          workers: [1],
          hashPools: ['none', 'inline', 'processes'],
          split: [1, 3],
        },
        runs: 1,
        tmpRoot: tmp,
        onEvent: (e) => {
          if (e.type === 'round') rounds.push(e);
        },
      });
      const w = report.workloads[0]!;
      // The round's time is what the CLI's estimate of the rounds left is made from.
      expect(rounds).toEqual([
        { type: 'round', workload: 'tiny', round: 1, runs: 1, elapsedMs: expect.any(Number) },
      ]);
      expect(rounds[0]!.elapsedMs).toBeGreaterThan(0);
      expect(w.files).toBe(4);
      expect(w.bytes).toBe(FILES.reduce((n, f) => n + content(f).length, 0));
      expect(w.configs.map((c) => c.key)).toEqual([
        'async -j 1 hash=none',
        'async -j 4 hash=none',
        'threads -j 4 -w 1 hash=none',
        'async -j 4 -x 3 hash=none',
        'async -j 4 hash=inline',
        'threads -j 4 -w 1 hash=inline',
        'async -j 4 -w 1 hash=processes',
      ]);
      for (const c of w.configs) {
        expect(c.ok, c.key).toBe(true);
        const run = c.runs[0]!;
        for (const k of ['wallMs', 'cpuUserMs', 'cpuSystemMs', 'childCpuMs', 'elu', 'maxRssMiB'] as const) {
          expect(run[k], `${c.key} ${k}`).toBeTypeOf('number');
        }
        expect(run.wallMs).toBeGreaterThan(0);
        expect(run.elu).toBeGreaterThan(0);
        expect(run.elu).toBeLessThanOrEqual(1);
        expect(run.maxRssMiB).toBeGreaterThan(20);
        expect(run.downloaded).toBe(4);
        for (const k of [
          'wallMs',
          'cpuMs',
          'cpuUtil',
          'elu',
          'maxRssMiB',
          'mibPerSec',
          'filesPerSec',
        ] as const) {
          expect(c.stats?.[k], `${c.key} ${k}`).toBeGreaterThan(0);
        }
        expect(fs.existsSync(run.dir), run.dir).toBe(false);
      }
      // The process pool's children are counted: they hashed four files.
      expect(w.configs.find((c) => c.hashPool === 'processes')!.runs[0]!.childCpuMs).toBeGreaterThan(0);
      expect(w.explanation.join(' ')).toMatch(/Sequential \(-j 1\) took/);
      // One run each measures no noise: nothing is claimed and nothing recommended.
      expect(w.explanation.join(' ')).toMatch(/With 1 verified run\(s\) of a configuration no difference/);
      expect(w.explanation.join(' ')).not.toMatch(/faster|slower|beyond noise/);
      expect(w.recommendation).toBeUndefined();
      expect(await fsp.readdir(tmp)).toEqual(['list.txt']);
      expect(JSON.parse(JSON.stringify(report))).toEqual(report);
    } finally {
      await s.close();
    }
  });

  it('a configuration that receives a corrupted file fails verification and is not recommended', async () => {
    // The second request for c.bin (the second configuration's) gets one flipped byte.
    const { s, list, expected, tmp } = await setup((name, n) => name === 'c.bin' && n === 2);
    try {
      const report = await runBench({
        workloads: [{ name: 'tiny', description: 'four files', sources: [list], expected }],
        axes: { modes: ['async'], concurrency: [1, 4, 8], workers: [1], hashPools: ['none'], split: [1] },
        runs: 1,
        tmpRoot: tmp,
      });
      const w = report.workloads[0]!;
      const bad = w.configs.find((c) => c.key === 'async -j 4 hash=none')!;
      expect(bad.ok).toBe(false);
      expect(bad.runs[0]!.failure).toMatch(/^c\.bin: sha256/);
      expect(bad.stats).toBeUndefined();
      expect(w.configs.filter((c) => c.ok).map((c) => c.key)).toEqual([
        'async -j 1 hash=none',
        'async -j 8 hash=none',
      ]);
      // (With one run nothing is recommended at all; explain.test checks a failed configuration's exclusion.)
      expect(w.recommendation ?? '').not.toMatch(/-j 4 /);
      expect(w.explanation[0]).toMatch(/failed verification/);
      expect(await fsp.readdir(tmp)).toEqual(['list.txt']);
    } finally {
      await s.close();
    }
  });
});
