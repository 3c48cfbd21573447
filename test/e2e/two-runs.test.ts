import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PartLock } from '../../src/file/part-lock.js';
import { createServer } from '../../src/server/index.js';
import { synthBytes } from '../../src/server/synth.js';
import { runCli } from '../helpers/cli.js';
import { startServer } from '../helpers/http.js';
import { listFiles, tmpDir } from '../helpers/tmp.js';

describe('two dlpool processes on one folder', () => {
  it('a .part another live run holds fails with ERR_DL_BUSY and exit 1 once the retries are spent', async () => {
    const s = await startServer((_req, res) => res.end('data'));
    const out = await tmpDir();
    const part = path.join(out, 'f.bin.part');
    await fs.writeFile(part, 'theirs');
    // This test process is the other run: it holds the lock for the whole CLI run.
    const held = PartLock.acquire(part);
    try {
      const r = await runCli(['get', '-d', out, '--retries', '1', '--progress', 'none', `${s.url}/f.bin`]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        `'${part}' is being written by another dlpool run (pid ${process.pid} on ${os.hostname()}): GET ${s.url}/f.bin (attempt 2/2) [ERR_DL_BUSY]`,
      );
      // It waited without fetching and left the other run's files as they were.
      expect(s.requests).toHaveLength(0);
      // (Only this test's own owner file besides: the CLI's went with its run.)
      expect((await listFiles(out)).filter((f) => !f.startsWith('.dlpool-lock-'))).toEqual([
        'f.bin.part',
        'f.bin.part.lock',
      ]);
      expect((await listFiles(out)).filter((f) => f.startsWith('.dlpool-lock-'))).toHaveLength(1);
      expect(await fs.readFile(part, 'utf8')).toBe('theirs');
    } finally {
      held.release();
      await s.close();
    }
  });

  /**
   * Files that stream into a locked `.part` (600K and 1M at 4 MiB/s per connection: each takes a while, so the
   * runs meet on the same names), and bodies whole in memory, which take no lock in a folder that was empty:
   * each run writes its own private file and renames it, so a name holds one run's whole file at every moment.
   */
  const lists = {
    streamed: { runs: 2, rate: 4, count: 8, sizes: ['1M', '600K'] },
    small: { runs: 3, rate: 2, count: 24, sizes: ['200K', '64K', '64K'] },
  };
  const KIB: Record<string, number> = { '1M': 1024, '600K': 600, '200K': 200, '64K': 64 };

  it.each([
    ['streamed', 'async'],
    ['streamed', 'threads'],
    ['small', 'async'],
    ['small', 'threads'],
  ] as const)(
    'runs of one list of %s files at once (--mode %s): all succeed, every file is the server’s, nothing left over',
    async (kind, mode) => {
      const { runs, rate, count, sizes } = lists[kind];
      const server = await createServer({ rateBytesPerSec: rate * 1024 * 1024 });
      const dir = await tmpDir();
      const out = path.join(dir, 'out');
      const paths = Array.from({ length: count }, (_, i) => `/gen/${sizes[i % sizes.length]}/f${i}.bin`);
      const list = path.join(dir, 'list.txt');
      await fs.writeFile(list, paths.map((p) => `${server.url}${p.slice(1)}\n`).join(''));
      try {
        const args = ['get', list, '-d', out, '-j', '4', '--mode', mode, '--retries', '50', '--json'];
        const done = await Promise.all(Array.from({ length: runs }, () => runCli(args)));
        expect(done.map((r) => [r.code, r.stderr])).toEqual(done.map(() => [0, '']));
        for (const r of done) {
          const doc = JSON.parse(r.stdout) as { results: { status: string }[] };
          expect(doc.results.every((x) => x.status === 'downloaded' || x.status === 'skipped')).toBe(true);
        }
        expect(await listFiles(out)).toEqual(paths.map((p) => p.split('/').pop()!).sort());
        for (const p of paths) {
          const size = KIB[p.split('/')[2]!]! * 1024;
          const got = await fs.readFile(path.join(out, p.split('/').pop()!));
          expect(got.equals(synthBytes(p, 0, size)), p).toBe(true);
        }
      } finally {
        await server.close();
      }
    },
  );
});
