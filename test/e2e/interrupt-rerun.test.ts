import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/server/faults.js';
import { createServer } from '../../src/server/index.js';
import { synthBytes } from '../../src/server/synth.js';
import { listFiles, tmpDir } from '../helpers/tmp.js';

const BIN = fileURLToPath(new URL('../../bin/dlpool.js', import.meta.url));
const SIZES = ['90K', '300K', '700K', '1M', '1500K', '2M', '2500K', '3M'];
const bytesOf = (s: string) => Number(s.slice(0, -1)) * (s.endsWith('M') ? 1024 * 1024 : 1024);

function start(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CI: 'true' },
  });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  const done = new Promise<number | null>((resolve) =>
    child.on('close', (code, sig) => resolve(code ?? (sig ? -1 : null))),
  );
  return { child, done, out: () => stdout };
}

const RUNS: [string, string[]][] = [
  ['async', []],
  ['threads', []],
  // Segmented: files over 1 MiB come as 3 ranges written in place; kills land between saved positions.
  // -j 16 leaves slots free for the ranges (segments borrow only free -j slots).
  ['async', ['-x', '3', '--min-split-size', '1M']],
];

describe.each(RUNS)('killed at random moments, then rerun (--mode %s %j)', (mode, extra) => {
  it('every file ends byte-identical; no final name ever holds a partial file', async () => {
    // 3 MiB/s per connection: a run takes a second or two, so kills land mid-body.
    const server = await createServer({ rateBytesPerSec: 3 * 1024 * 1024 });
    const dir = await tmpDir();
    const list = path.join(dir, 'list.txt');
    const paths = SIZES.map((s, i) => `/gen/${s}/f${i}.bin`);
    await fs.writeFile(list, paths.map((p) => `${server.url}${p.slice(1)}\n`).join(''));
    const out = path.join(dir, 'out');
    const random = mulberry32(mode === 'async' ? 11 + extra.length : 12);
    const checkFinalNames = async () => {
      for (const f of await listFiles(out).catch(() => [] as string[])) {
        // (A killed run leaves its .part, state and lock (with its owner file); the rerun takes them over.)
        if (/\.part(\.meta|\.lock)?$|^\.dlpool-lock-/.test(f)) continue;
        const i = Number(/^f(\d+)\.bin$/.exec(f)![1]);
        const got = await fs.readFile(path.join(out, f));
        expect(got.equals(synthBytes(paths[i]!, 0, bytesOf(SIZES[i]!))), `${f} under its final name`).toBe(
          true,
        );
      }
    };
    /**
     * The bytes held in .part files under `out` now, counted by allocated blocks: a segmented .part has its full
     * size (sparse) from the start, so only its blocks say that bytes landed.
     */
    const partBytes = async () => {
      let sum = 0;
      for (const f of (await listFiles(out).catch(() => [] as string[])).filter((x) => x.endsWith('.part'))) {
        sum += await fs.stat(path.join(out, f)).then(
          (st) => st.blocks * 512,
          () => 0,
        );
      }
      return sum;
    };
    /** `dlpool get` of the list into `out` with this case's engine and flags, and `flags` of its own. */
    const get = (...flags: string[]) =>
      start([
        'get',
        list,
        '-d',
        out,
        '-j',
        extra.length > 0 ? '16' : '4',
        '--mode',
        mode,
        '-w',
        '2',
        ...extra,
        ...flags,
      ]);
    try {
      let sawPartials = false;
      let sawSegments = false;
      for (let k = 0; k < 4; k++) {
        const before = await partBytes();
        const run = get('--progress', 'none');
        // Kill a random moment after this run's bytes start landing (a fixed delay from spawn misses on a loaded
        // machine; the .part files an earlier round left are there from the start, so their size is watched).
        const begun = Date.now();
        while (Date.now() - begun < 15_000 && run.child.exitCode === null) {
          if ((await partBytes()) !== before) break;
          await new Promise((r) => setTimeout(r, 20));
        }
        await new Promise((r) => setTimeout(r, random() * 500));
        run.child.kill(k % 2 === 0 ? 'SIGKILL' : 'SIGINT');
        const code = await run.done;
        expect([-1, 130, 0]).toContain(code);
        await checkFinalNames();
        for (const f of (await listFiles(out).catch(() => [] as string[])).filter((x) =>
          x.endsWith('.part.meta'),
        )) {
          sawPartials = true;
          if ((await fs.readFile(path.join(out, f), 'utf8')).includes('"segments"')) sawSegments = true;
        }
      }
      expect(sawPartials, 'some kill landed mid-download').toBe(true);
      expect(sawSegments, 'segment positions were kept').toBe(extra.length > 0);
      // A kill can land before a run's first byte, and on a loaded machine every kill may: then the rerun has
      // nothing to resume, which is no failure; bytes left in a .part must be resumed, never fetched again.
      const leftBytes = await partBytes();
      const last = get('--json');
      expect(await last.done).toBe(0);
      const report = JSON.parse(last.out()) as { results: { resumed: boolean; status: string }[] };
      expect(report.results.every((r) => r.status === 'downloaded' || r.status === 'skipped')).toBe(true);
      expect(
        report.results.some((r) => r.resumed),
        'the rerun resumed at least one .part',
      ).toBe(leftBytes > 0);
      expect(await listFiles(out)).toEqual(SIZES.map((_, i) => `f${i}.bin`).sort());
      await checkFinalNames();
    } finally {
      await server.close();
    }
  });
});
