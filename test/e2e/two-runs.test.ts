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

  it.each(['async', 'threads'])(
    'two runs of one list at once (--mode %s): both succeed, every file is the server’s, nothing left over',
    async (mode) => {
      // 4 MiB/s per connection: each file takes a while, so the two runs meet on the same names.
      const server = await createServer({ rateBytesPerSec: 4 * 1024 * 1024 });
      const dir = await tmpDir();
      const out = path.join(dir, 'out');
      const paths = Array.from({ length: 8 }, (_, i) => `/gen/${i % 2 ? '600K' : '1M'}/f${i}.bin`);
      const list = path.join(dir, 'list.txt');
      await fs.writeFile(list, paths.map((p) => `${server.url}${p.slice(1)}\n`).join(''));
      try {
        const args = ['get', list, '-d', out, '-j', '4', '--mode', mode, '--retries', '50', '--json'];
        const [a, b] = await Promise.all([runCli(args), runCli(args)]);
        expect([a.code, b.code, a.stderr, b.stderr]).toEqual([0, 0, '', '']);
        for (const r of [a, b]) {
          const doc = JSON.parse(r.stdout) as { results: { status: string }[] };
          expect(doc.results.every((x) => x.status === 'downloaded' || x.status === 'skipped')).toBe(true);
        }
        expect(await listFiles(out)).toEqual(paths.map((p) => p.split('/').pop()!).sort());
        for (const p of paths) {
          const size = p.includes('/1M/') ? 1024 * 1024 : 600 * 1024;
          const got = await fs.readFile(path.join(out, p.split('/').pop()!));
          expect(got.equals(synthBytes(p, 0, size)), p).toBe(true);
        }
      } finally {
        await server.close();
      }
    },
  );
});
