import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import type { RequestListener, ServerResponse } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { download } from '../../src/download.js';
import { createServer, type RunningServer } from '../../src/server/index.js';
import { synthBytes } from '../../src/server/synth.js';
import { virtualClock } from '../helpers/clock.js';
import { startServer } from '../helpers/http.js';
import { collect, FAST_RETRY, listFiles, tmpDir, engine, MODES } from '../helpers/tmp.js';

let server: RunningServer;
beforeAll(async () => {
  server = await createServer({});
});
afterAll(async () => {
  await server.close();
});

/**
 * A handler that answers requests `n` at a time, once `n` are waiting: a client that keeps `n` downloads going
 * meets exactly `n` at the server however slowly a loaded machine lets it send them (answers after a fixed
 * delay let a client that was late with its fifth request finish the first before it). One that never gets to
 * `n` is answered after 2 s, and the test sees the lower count.
 */
function inGroupsOf(n: number, answer: (res: ServerResponse) => void): RequestListener {
  const waiting: ServerResponse[] = [];
  const go = (res: ServerResponse) => {
    const i = waiting.indexOf(res);
    if (i < 0) return; // answered already
    waiting.splice(i, 1);
    answer(res);
  };
  return (_req, res) => {
    waiting.push(res);
    if (waiting.length >= n) for (const r of waiting.slice()) go(r);
    else setTimeout(() => go(res), 2000).unref();
  };
}

describe.each(MODES)('%s mode', (mode) => {
  describe('download: many files', () => {
    it('fetches a 100-file list at -j 16 byte for byte', async () => {
      const dir = await tmpDir();
      const list = path.join(dir, 'list.txt');
      const sizes = Array.from({ length: 100 }, (_, i) => (i * 7919) % 300_000);
      const paths = sizes.map((s, i) => `/gen/${s}/f${i}.bin`);
      await fs.writeFile(
        list,
        `# a hundred files\n\n${paths.map((p) => new URL(p, server.url).href).join('\n')}\n`,
      );
      const out = path.join(dir, 'out');
      const summary = await download({ ...engine(mode), sources: [list], dir: out, concurrency: 16 });
      expect(summary.failed).toBe(0);
      expect(summary.downloaded).toBe(100);
      expect(await listFiles(out)).toEqual(paths.map((_, i) => `f${i}.bin`).sort());
      for (const [i, p] of paths.entries()) {
        const got = await fs.readFile(path.join(out, `f${i}.bin`));
        expect(got.equals(synthBytes(p, 0, sizes[i]!)), p).toBe(true);
      }
    });

    it('never runs more than -j downloads at once (counted at the server)', async () => {
      const s = await startServer(inGroupsOf(5, (res) => res.end('x'.repeat(1000))));
      try {
        const dir = await tmpDir();
        const entries = Array.from({ length: 40 }, (_, i) => `${s.url}/a${i}`);
        const summary = await download({ ...engine(mode), entries, dir, concurrency: 5 });
        expect(summary.downloaded).toBe(40);
        expect(s.maxInFlight).toBe(5);
      } finally {
        await s.close();
      }
    });

    it('holds -j when a small file whose slot went to the next download is retried (checksum mismatch)', async () => {
      // The small body's slot goes to the next download before its file is hashed and written; the retry of a
      // wrong file must wait for a slot again, not run beside the download that took it. (Two servers: one
      // connection per host would hide a second download at one host.)
      const good = Buffer.from('good bytes, sixteen+');
      let bad = 1;
      let inFlight = 0;
      let maxInFlight = 0;
      const handler: RequestListener = (req, res) => {
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        const body = req.url === '/bad' && bad-- > 0 ? Buffer.from('wrong bytes, sixteen') : good;
        setTimeout(() => {
          inFlight--;
          res.end(body);
        }, 50);
      };
      const a = await startServer(handler);
      const b = await startServer(handler);
      try {
        const dir = await tmpDir();
        const list = path.join(dir, 'list.txt');
        const sum = crypto.createHash('sha256').update(good).digest('hex');
        const rest = ['f1', 'f2', 'f3'].map((n) => `${b.url}/${n}`).join('\n');
        await fs.writeFile(list, `${a.url}/bad\n  checksum=sha-256=${sum}\n${rest}\n`);
        const out = path.join(dir, 'out');
        const summary = await download({
          ...engine(mode),
          sources: [list],
          dir: out,
          concurrency: 1,
          hashPool: 'inline',
          retry: FAST_RETRY,
        });
        expect(summary.downloaded).toBe(4);
        expect(summary.results.find((r) => r.path === 'bad')?.attempts).toBe(2);
        expect(await fs.readFile(path.join(out, 'bad'))).toEqual(good);
        expect(maxInFlight).toBe(1);
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('holds --per-host below -j', async () => {
      const s = await startServer(inGroupsOf(3, (res) => res.end('y')));
      try {
        const dir = await tmpDir();
        const entries = Array.from({ length: 21 }, (_, i) => `${s.url}/b${i}`);
        const summary = await download({ ...engine(mode), entries, dir, concurrency: 16, perHost: 3 });
        expect(summary.downloaded).toBe(21);
        expect(s.maxInFlight).toBe(3);
      } finally {
        await s.close();
      }
    });
  });

  // Larger than the in-memory small-body path, so the file is streamed into NAME.part as it arrives.
  const HALF = 512 * 1024;

  describe('download: files on disk', () => {
    it('writes NAME.part and renames to NAME only when complete', async () => {
      let release: () => void = () => {};
      const gate = new Promise<void>((r) => {
        release = r;
      });
      const s = await startServer(async (_req, res) => {
        res.writeHead(200, { 'content-length': String(2 * HALF) });
        res.write(Buffer.alloc(HALF, 'a'));
        await gate;
        res.end(Buffer.alloc(HALF, 'b'));
      });
      try {
        const dir = await tmpDir();
        const run = download({ ...engine(mode), entries: [`${s.url}/file.txt`], dir });
        // Wait until the first half is on disk under the .part name.
        for (let i = 0; i < 200; i++) {
          const size = await fs.stat(path.join(dir, 'file.txt.part')).then(
            (st) => st.size,
            () => -1,
          );
          if (size === HALF) break;
          await new Promise((r) => setTimeout(r, 10));
        }
        // The .part's lock (a link to this run's owner file) says which run writes it (see two-runs.test.ts).
        expect((await listFiles(dir)).map((f) => f.replace(/^\.dlpool-lock-\w+$/, 'OWNER'))).toEqual([
          'OWNER',
          'file.txt.part',
          'file.txt.part.lock',
        ]);
        release();
        const summary = await run;
        expect(summary.downloaded).toBe(1);
        expect(await listFiles(dir)).toEqual(['file.txt']);
        const got = await fs.readFile(path.join(dir, 'file.txt'));
        expect(got.equals(Buffer.concat([Buffer.alloc(HALF, 'a'), Buffer.alloc(HALF, 'b')]))).toBe(true);
      } finally {
        release();
        await s.close();
      }
    });

    it('skips a file already present, and --overwrite fetches it again', async () => {
      const dir = await tmpDir();
      const url = new URL('/gen/1000/present.bin', server.url).href;
      await fs.writeFile(path.join(dir, 'present.bin'), 'old');
      const first = await download({ ...engine(mode), entries: [url], dir });
      expect(first.skipped).toBe(1);
      expect(first.results[0]).toMatchObject({
        status: 'skipped',
        path: 'present.bin',
        bytes: 3,
        attempts: 0,
      });
      expect(await fs.readFile(path.join(dir, 'present.bin'), 'utf8')).toBe('old');
      const second = await download({ ...engine(mode), entries: [url], dir, overwrite: true });
      expect(second.downloaded).toBe(1);
      expect(
        (await fs.readFile(path.join(dir, 'present.bin'))).equals(
          synthBytes('/gen/1000/present.bin', 0, 1000),
        ),
      ).toBe(true);
    });

    it('gives colliding names deterministic suffixes and reports which URL went where', async () => {
      const dir = await tmpDir();
      const entries = ['/gen/10/a/data.bin', '/gen/20/b/data.bin', '/gen/30/c/data.bin'].map(
        (p) => new URL(p, server.url).href,
      );
      const summary = await download({ ...engine(mode), entries, dir, concurrency: 3 });
      const byUrl = Object.fromEntries(summary.results.map((r) => [r.url, r.path]));
      expect(byUrl).toEqual({
        [entries[0]!]: 'data.bin',
        [entries[1]!]: 'data.1.bin',
        [entries[2]!]: 'data.2.bin',
      });
      expect((await fs.stat(path.join(dir, 'data.2.bin'))).size).toBe(30);
    });

    it('applies aria2 out= and dir= from a list file', async () => {
      const dir = await tmpDir();
      const list = path.join(dir, 'aria2.txt');
      await fs.writeFile(
        list,
        `${server.url}gen/100/x.bin\n  out=renamed.bin\n  dir=sub/inner\n${server.url}gen/5/y.bin\n  dir=other\n`,
      );
      const out = path.join(dir, 'out');
      const summary = await download({ ...engine(mode), sources: [list], dir: out });
      expect(summary.failed).toBe(0);
      expect(await listFiles(out)).toEqual(['other/y.bin', 'sub/inner/renamed.bin']);
    });

    it('names from Content-Disposition only when asked, sanitised and inside --dir', async () => {
      const s = await startServer((_req, res) => {
        res.writeHead(200, {
          'content-disposition': `attachment; filename="../../evil.txt"; filename*=UTF-8''%2E%2E%2Fr%C3%A9sum%C3%A9.txt`,
        });
        res.end('cd');
      });
      try {
        const dir = await tmpDir();
        const plain = await download({ ...engine(mode), entries: [`${s.url}/dl?id=1`], dir });
        expect(plain.results[0]?.path).toBe('dl');
        const dir2 = await tmpDir();
        const cd = await download({
          ...engine(mode),
          entries: [`${s.url}/dl?id=1`],
          dir: dir2,
          contentDisposition: true,
        });
        expect(cd.results[0]?.path).toBe('résumé.txt');
        expect(await listFiles(dir2)).toEqual(['résumé.txt']);
      } finally {
        await s.close();
      }
    });

    it('gives a name several servers offer to the earliest list entry, whatever the order of the answers', async () => {
      // /a is held until /b and /c were answered completely, so the answers arrive c, b, a (or b, c, a);
      // /c first fails with 503 Retry-After: 1, so it waits parked while the others finish (on a
      // virtual clock, in both engines).
      let answered = 0;
      let cTries = 0;
      const held: (() => void)[] = [];
      const s = await startServer((req, res) => {
        const name = req.url!.slice(1);
        const send = () => {
          res.writeHead(200, { 'content-disposition': 'attachment; filename="same.bin"' });
          res.end(name);
          if (++answered === 2) for (const h of held.splice(0)) h();
        };
        if (name === 'c' && cTries++ === 0) {
          res.writeHead(503, { 'retry-after': '1' });
          res.end();
          return;
        }
        if (name === 'a' && answered < 2) held.push(send);
        else send();
      });
      try {
        const dir = await tmpDir();
        const clock = virtualClock();
        const run = () =>
          download(
            {
              ...engine(mode),
              entries: ['a', 'b', 'c'].map((n) => `${s.url}/${n}`),
              dir,
              concurrency: 3,
              contentDisposition: true,
              retry: { ...FAST_RETRY, retries: 2 },
            },
            undefined,
            clock,
          );
        const summary = await run();
        expect(clock.slept).toEqual([1000]);
        expect(summary.failed).toBe(0);
        expect(summary.results.map((r) => [r.url.slice(-1), r.path]).sort()).toEqual([
          ['a', 'same.bin'],
          ['b', 'same.1.bin'],
          ['c', 'same.2.bin'],
        ]);
        expect(await fs.readFile(path.join(dir, 'same.bin'), 'utf8')).toBe('a');
        expect(await fs.readFile(path.join(dir, 'same.1.bin'), 'utf8')).toBe('b');
        expect(await fs.readFile(path.join(dir, 'same.2.bin'), 'utf8')).toBe('c');
        expect(await listFiles(dir)).toEqual(['same.1.bin', 'same.2.bin', 'same.bin']);

        // Again, answers in the same disorder: each finds its own file present (no temporary left behind).
        answered = 0;
        cTries = 0;
        const again = await run();
        expect(again.results.map((r) => [r.url.slice(-1), r.status, r.path]).sort()).toEqual([
          ['a', 'skipped', 'same.bin'],
          ['b', 'skipped', 'same.1.bin'],
          ['c', 'skipped', 'same.2.bin'],
        ]);
        expect(await listFiles(dir)).toEqual(['same.1.bin', 'same.2.bin', 'same.bin']);
        expect(await fs.readFile(path.join(dir, 'same.2.bin'), 'utf8')).toBe('c');
      } finally {
        await s.close();
      }
    });

    it('reports bad list lines as FILE:LINE failures and downloads the rest', async () => {
      const dir = await tmpDir();
      const list = path.join(dir, 'bad.txt');
      await fs.writeFile(
        list,
        `${server.url}gen/10/ok.bin\nnot a url\nftp://example.com/x\n${server.url}gen/10/ok2.bin\n`,
      );
      const out = path.join(dir, 'out');
      const { events, onEvent } = collect();
      const summary = await download({
        ...engine(mode),
        sources: [list],
        dir: out,
        onEvent,
        retry: FAST_RETRY,
      });
      expect(summary.downloaded).toBe(2);
      expect(summary.failed).toBe(2);
      const failures = summary.results.filter((r) => r.status === 'failed').map((r) => r.error?.message);
      expect(failures).toEqual([
        expect.stringMatching(/bad\.txt:2: /),
        expect.stringMatching(/bad\.txt:3: .*ftp/),
      ]);
      expect(events.filter((e) => e.type === 'result')).toHaveLength(4);
    });
  });
});
