import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ScaleReport } from '../../bench/scale.js';
import { runCli } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

/** The compiled harness, as `npm run bench*` runs it (npm run build makes it). */
const HARNESS = fileURLToPath(new URL('../../dist-bench/bench/main.js', import.meta.url));

describe('the bench harness (npm run bench*)', () => {
  it('a bad knob: one line naming it, exit 2, before anything starts', async () => {
    const r = await runCli(['compare'], { bin: HARNESS, env: { RUNS: 'abc' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("bench: RUNS must be a whole number >= 0, got 'abc'\n");
    expect(r.stdout).toBe('');
    const q = await runCli(['queue'], { bin: HARNESS, env: { WORKERS: '1,two' } });
    expect(q.code).toBe(2);
    expect(q.stderr).toBe("bench:queue: WORKERS must be a whole number >= 1, got '1,two'\n");
  });

  it('an unknown bench: usage, exit 2', async () => {
    const r = await runCli(['nope'], { bin: HARNESS });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^usage: node dist-bench\/bench\/main\.js compare\|threads\|/);
  });

  it('bench:scale at N=40: a real run against dlpool serve, checked, its JSON typed, nothing left behind', async () => {
    const dir = await tmpDir();
    const results = path.join(dir, 'scale.json');
    const r = await runCli(['scale'], {
      bin: HARNESS,
      env: { N: '40', J: '4', SIZE: '1K', MODES: 'async', SAMPLE_MS: '20', RESULTS: results, TMPDIR: dir },
    });
    expect(r.stderr).toContain('async: ok');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\| async \| 40 \| 4 \| [\d.]+ \| \d+ \| [\d.]+ \| \d+ \| yes \|$/m);
    const report = JSON.parse(await fs.readFile(results, 'utf8')) as ScaleReport;
    expect(report.n).toBe(40);
    expect(report.runs[0]).toMatchObject({
      mode: 'async',
      ok: true,
      exitCode: 0,
      files: { complete: 40, part: 0 },
    });
    expect(report.runs[0]!.json).toMatchObject({
      valid: true,
      results: 40,
      totals: { downloaded: 40, failed: 0 },
    });
    // Its temp dirs (list, outputs, --json) went to TMPDIR, and are gone.
    expect(await fs.readdir(dir)).toEqual(['scale.json']);
  });
});
