import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { download } from '../../src/download.js';
import type { HashPoolKind } from '../../src/hash/hasher.js';
import { createServer, type RunningServer } from '../../src/server/index.js';
import { synthBytes } from '../../src/server/synth.js';
import { startServer } from '../helpers/http.js';
import { collect, FAST_RETRY, listFiles, tmpDir, engine, MODES } from '../helpers/tmp.js';

const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
const sha1 = (s: string) => crypto.createHash('sha1').update(s).digest('hex');

let server: RunningServer;
beforeAll(async () => {
  server = await createServer({});
});
afterAll(async () => {
  await server.close();
});

// Sizes on both write paths: in-memory small bodies and streamed large ones.
const FILES = [
  ['/gen/1000/a.bin', 1000],
  ['/gen/300000/b.bin', 300_000],
  ['/gen/2M/c.bin', 2 * 1024 * 1024],
] as const;

describe.each(MODES)('%s mode', (mode) => {
  describe.each(['inline', 'threads', 'processes'] as HashPoolKind[])(
    'hashing with --hash-pool %s',
    (hashPool) => {
      it('reports the digest of every file, and --manifest passes sha256sum -c', async () => {
        const dir = await tmpDir();
        const out = path.join(dir, 'out');
        const manifest = path.join(out, 'SHA256SUMS');
        const entries = FILES.map(([p]) => new URL(p, server.url).href);
        const summary = await download({
          ...engine(mode),
          entries,
          dir: out,
          hashPool,
          workers: 2,
          hash: 'sha256',
          manifest,
        });
        expect(summary.downloaded).toBe(3);
        for (const [p, size] of FILES) {
          const r = summary.results.find((x) => x.url.endsWith(p));
          expect(r?.digest).toEqual({
            algorithm: 'sha256',
            hex: sha256(synthBytes(p, 0, size)),
            verified: false,
          });
        }
        const { stdout } = await promisify(execFile)('sha256sum', ['-c', 'SHA256SUMS'], { cwd: out });
        expect(stdout.trim().split('\n').sort()).toEqual(['a.bin: OK', 'b.bin: OK', 'c.bin: OK']);
      });

      it('names a file called `-` so that sha256sum -c reads the file, not standard input', async () => {
        const dir = await tmpDir();
        const out = path.join(dir, 'out');
        const summary = await download({
          ...engine(mode),
          entries: [new URL('/gen/1000/-', server.url).href],
          dir: out,
          hashPool,
          hash: 'sha256',
          manifest: path.join(out, 'SHA256SUMS'),
        });
        expect(summary.downloaded).toBe(1);
        const text = await fs.readFile(path.join(out, 'SHA256SUMS'), 'utf8');
        expect(text).toBe(`${sha256(synthBytes('/gen/1000/-', 0, 1000))}  ./-\n`);
        // stdin is empty: were `-` read from it, the check would fail.
        const { stdout } = await promisify(execFile)('sha256sum', ['-c', 'SHA256SUMS'], { cwd: out });
        expect(stdout.trim()).toBe('./-: OK');
      });

      it('verifies against a checksum file; a wrong file is fetched once more, then fails with nothing left behind', async () => {
        // The server sends wrong bytes for `flaky` on the first request only, and always for `bad`.
        const good = Buffer.alloc(400_000, 9);
        const seen: Record<string, number> = {};
        const s = await startServer((req, res) => {
          const name = req.url ?? '';
          seen[name] = (seen[name] ?? 0) + 1;
          const wrong = name === '/bad' || (name === '/flaky' && seen[name] === 1);
          res.writeHead(200, { 'content-length': String(good.length) });
          res.end(wrong ? Buffer.alloc(good.length, 1) : good);
        });
        try {
          const dir = await tmpDir();
          const sums = path.join(dir, 'SUMS');
          await fs.writeFile(sums, `${sha256(good)}  flaky\n${sha256(good)} *bad\nnot a line\n`);
          const out = path.join(dir, 'out');
          const { events, onEvent } = collect();
          const summary = await download({
            ...engine(mode),
            entries: [`${s.url}/flaky`, `${s.url}/bad`],
            dir: out,
            checksums: sums,
            hashPool,
            retry: FAST_RETRY,
            onEvent,
          });
          expect(seen).toEqual({ '/flaky': 2, '/bad': 2 });
          const flaky = summary.results.find((r) => r.url.endsWith('/flaky'));
          expect(flaky).toMatchObject({
            status: 'downloaded',
            digest: { verified: true, hex: sha256(good) },
          });
          const bad = summary.results.find((r) => r.url.endsWith('/bad'));
          expect(bad?.error?.code).toBe('ERR_DL_CHECKSUM');
          expect(bad?.error?.message).toContain(
            `expected ${sha256(good)}, got ${sha256(Buffer.alloc(good.length, 1))}`,
          );
          expect(await listFiles(out)).toEqual(['flaky']);
          expect(events).toContainEqual(expect.objectContaining({ type: 'warning', source: sums, line: 3 }));
        } finally {
          await s.close();
        }
      });
    },
  );

  describe('files already present', () => {
    it('are in the --manifest of a rerun (hashed), so the manifest lists every file of the list', async () => {
      const dir = await tmpDir();
      const out = path.join(dir, 'out');
      const entries = FILES.map(([p]) => new URL(p, server.url).href);
      // The first run gets two of the three files; the rerun finds them present and fetches the third.
      await download({
        ...engine(mode),
        entries: entries.slice(0, 2),
        dir: out,
        manifest: path.join(dir, 'M1'),
      });
      const again = await download({ ...engine(mode), entries, dir: out, manifest: path.join(dir, 'M2') });
      expect(again.results.map((r) => r.status).sort()).toEqual(['downloaded', 'skipped', 'skipped']);
      const lines = (await fs.readFile(path.join(dir, 'M2'), 'utf8')).trim().split('\n').sort();
      expect(lines).toEqual(
        FILES.map(([p, size]) => `${sha256(synthBytes(p, 0, size))}  ${path.posix.basename(p)}`).sort(),
      );
      const { stdout } = await promisify(execFile)('sha256sum', ['-c', path.join(dir, 'M2')], { cwd: out });
      expect(stdout.trim().split('\n')).toHaveLength(3);
    });

    it('are verified when a checksum is known and fetched again when they do not match', async () => {
      const dir = await tmpDir();
      const p = '/gen/3000/keep.bin';
      const q = '/gen/3000/fix.bin';
      const right = synthBytes(p, 0, 3000);
      await fs.writeFile(path.join(dir, 'keep.bin'), right);
      await fs.writeFile(path.join(dir, 'fix.bin'), 'stale bytes');
      const sums = path.join(dir, 'SUMS');
      await fs.writeFile(sums, `${sha256(right)}  keep.bin\n${sha256(synthBytes(q, 0, 3000))}  fix.bin\n`);
      const entries = [p, q].map((x) => new URL(x, server.url).href);
      const summary = await download({ ...engine(mode), entries, dir, checksums: sums });
      expect(summary.results.find((r) => r.path === 'keep.bin')).toMatchObject({
        status: 'skipped',
        digest: { verified: true },
      });
      expect(summary.results.find((r) => r.path === 'fix.bin')).toMatchObject({
        status: 'downloaded',
        digest: { verified: true },
      });
      expect((await fs.readFile(path.join(dir, 'fix.bin'))).equals(synthBytes(q, 0, 3000))).toBe(true);
    });
  });

  describe('per-URL checksums', () => {
    it("honours aria2's checksum= in a list file", async () => {
      const dir = await tmpDir();
      const list = path.join(dir, 'list.txt');
      const p = '/gen/5000/x.bin';
      await fs.writeFile(
        list,
        `${server.url}gen/5000/x.bin\n  checksum=sha-256=${sha256(synthBytes(p, 0, 5000))}\n${server.url}gen/10/y.bin\n  checksum=sha-1=${'0'.repeat(40)}\n`,
      );
      const out = path.join(dir, 'out');
      const summary = await download({
        ...engine(mode),
        sources: [list],
        dir: out,
        hashPool: 'inline',
        retry: FAST_RETRY,
      });
      expect(summary.results.find((r) => r.path === 'x.bin')?.digest?.verified).toBe(true);
      expect(summary.results.find((r) => r.path === 'y.bin')?.error).toMatchObject({
        code: 'ERR_DL_CHECKSUM',
        message: expect.stringMatching(/^sha1 mismatch/),
      });
      expect(await listFiles(out)).toEqual(['x.bin']);
    });

    it('fails an entry whose checksum type cannot be computed (adler32) at its list line, fetching nothing', async () => {
      const s = await startServer((_req, res) => {
        res.writeHead(200, { 'content-length': '4' });
        res.end('abcd');
      });
      try {
        const dir = await tmpDir();
        const list = path.join(dir, 'list.txt');
        await fs.writeFile(list, `${s.url}/a.bin\n  checksum=adler32=03d8018b\n`);
        const { events, onEvent } = collect();
        const summary = await download({
          ...engine(mode),
          sources: [list],
          dir: path.join(dir, 'out'),
          retry: FAST_RETRY,
          onEvent,
        });
        const error = summary.results[0]?.error;
        expect(error?.code).toBe('ERR_DL_LIST_LINE');
        expect(error?.message.startsWith(`${list}:2: `)).toBe(true);
        expect(error?.message).toMatch(/adler32/);
        expect(events.filter((e) => e.type === 'retry')).toEqual([]);
        expect(s.requests).toEqual([]);
      } finally {
        await s.close();
      }
    });

    it("fails a library entry whose checksum cannot be checked at the entry's place, fetching nothing", async () => {
      const s = await startServer((_req, res) => {
        res.writeHead(200, { 'content-length': '4' });
        res.end('abcd');
      });
      try {
        const dir = await tmpDir();
        const entry = (name: string, algorithm: string, hex: string) => ({
          kind: 'entry' as const,
          url: `${s.url}/${name}`,
          source: 'mine',
          line: 7,
          options: {},
          checksum: { algorithm, hex },
        });
        const summary = await download({
          ...engine(mode),
          entries: [
            entry('a.bin', 'adler32', '03d8018b'),
            entry('b.bin', 'sha256', 'abc'),
            entry('c.bin', 'sha1', sha1('abcd')),
          ],
          dir: path.join(dir, 'out'),
          retry: FAST_RETRY,
        });
        const byUrl = (name: string) => summary.results.find((r) => r.url.endsWith(`/${name}`));
        expect(byUrl('a.bin')?.error).toMatchObject({
          code: 'ERR_DL_LIST_LINE',
          message: expect.stringMatching(/^mine:7: checksum: .*adler32/),
        });
        expect(byUrl('b.bin')?.error).toMatchObject({
          code: 'ERR_DL_LIST_LINE',
          message: expect.stringMatching(/^mine:7: checksum: sha256 needs 64 lower-case hex digits/),
        });
        expect(byUrl('c.bin')).toMatchObject({ status: 'downloaded', digest: { verified: true } });
        expect(s.requests.map((r) => r.path)).toEqual(['/c.bin']);
      } finally {
        await s.close();
      }
    });

    it('hashes a resumed file whole, after the fact, and gets it right', async () => {
      const body = Buffer.from(Array.from({ length: 1_500_000 }, (_, i) => i % 253));
      let first = true;
      const s = await startServer((req, res) => {
        const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
        if (m) {
          const start = Number(m[1]);
          res.writeHead(206, {
            'content-length': String(body.length - start),
            'content-range': `bytes ${start}-${body.length - 1}/${body.length}`,
            etag: '"e"',
          });
          res.end(body.subarray(start));
          return;
        }
        res.writeHead(200, { 'content-length': String(body.length), etag: '"e"' });
        if (first) {
          first = false;
          res.write(body.subarray(0, 700_000), () => setTimeout(() => res.socket?.destroy(), 20));
          return;
        }
        res.end(body);
      });
      try {
        const dir = await tmpDir();
        const summary = await download({
          ...engine(mode),
          entries: [`${s.url}/r.bin`],
          dir,
          hash: 'sha256',
          hashPool: 'inline',
          retry: FAST_RETRY,
        });
        expect(summary.results[0]).toMatchObject({ resumed: true, digest: { hex: sha256(body) } });
      } finally {
        await s.close();
      }
    });
  });
});

describe.each(MODES)('checksums with --content-disposition (%s mode)', (mode) => {
  // The server names every file `other.bin`; the checksum file lists the name the list gives (`x.bin`).
  const body = Buffer.alloc(50_000, 7);
  const wrong = '0'.repeat(64);

  async function run(sumsHex: string, present?: Buffer) {
    const s = await startServer((_req, res) => {
      res.writeHead(200, {
        'content-length': String(body.length),
        'content-disposition': 'attachment; filename="other.bin"',
      });
      res.end(body);
    });
    try {
      const dir = await tmpDir();
      const out = path.join(dir, 'out');
      await fs.mkdir(out);
      if (present) await fs.writeFile(path.join(out, 'other.bin'), present);
      const sums = path.join(dir, 'SUMS');
      await fs.writeFile(sums, `${sumsHex}  x.bin\n`);
      const summary = await download({
        ...engine(mode),
        entries: [`${s.url}/x.bin`],
        dir: out,
        checksums: sums,
        contentDisposition: true,
        retry: FAST_RETRY,
      });
      return { summary, out };
    } finally {
      await s.close();
    }
  }

  it('checks the file against the entry of the list name, whatever name the server offers', async () => {
    const bad = await run(wrong);
    expect(bad.summary.failed).toBe(1);
    expect(bad.summary.results[0]?.error?.code).toBe('ERR_DL_CHECKSUM');
    expect(await listFiles(bad.out)).toEqual([]);

    const good = await run(sha256(body));
    expect(good.summary.results[0]).toMatchObject({ status: 'downloaded', path: 'other.bin' });
    expect(good.summary.results[0]?.digest?.verified).toBe(true);
  });

  it('does not skip a present file the server names unless it matches the expected digest', async () => {
    const stale = Buffer.alloc(50_000, 1);
    const r = await run(sha256(body), stale);
    expect(r.summary.results[0]?.status).toBe('downloaded');
    expect((await fs.readFile(path.join(r.out, 'other.bin'))).equals(body)).toBe(true);

    const same = await run(sha256(body), body);
    expect(same.summary.results[0]?.status).toBe('skipped');
    expect(same.summary.results[0]?.digest?.verified).toBe(true);
  });
});

describe.each(MODES)('untagged checksum lines and --hash (%s mode)', (mode) => {
  // sha256 and sha3-256 digests are both 64 hex digits: a `HEX  NAME` line says nothing else.
  const a = Buffer.from('alpha bytes');
  const b = Buffer.from('beta bytes');
  const hex = (algorithm: string, body: Buffer) => crypto.createHash(algorithm).update(body).digest('hex');

  async function run(sums: string, hash: string | undefined) {
    const s = await startServer((req, res) => {
      const body = req.url === '/a.bin' ? a : b;
      res.writeHead(200, { 'content-length': String(body.length) });
      res.end(body);
    });
    try {
      const dir = await tmpDir();
      await fs.writeFile(path.join(dir, 'SUMS'), sums);
      const summary = await download({
        ...engine(mode),
        entries: [`${s.url}/a.bin`, `${s.url}/b.bin`],
        dir: path.join(dir, 'out'),
        checksums: path.join(dir, 'SUMS'),
        ...(hash ? { hash } : {}),
        retry: FAST_RETRY,
      });
      // Results come as downloads finish: in name order here.
      return summary.results
        .map((r) => [r.path, r.status, r.digest?.algorithm, r.digest?.verified])
        .sort((x, y) => String(x[0]).localeCompare(String(y[0])));
    } finally {
      await s.close();
    }
  }

  it('are the --hash algorithm when their digest is as long as its own, else the length decides', async () => {
    const sums = `${hex('sha3-256', a)}  a.bin\n${hex('sha512', b)}  b.bin\n`;
    expect(await run(sums, 'sha3-256')).toEqual([
      ['a.bin', 'downloaded', 'sha3-256', true],
      ['b.bin', 'downloaded', 'sha512', true],
    ]);
  });

  it('are sha256 at 64 digits without --hash, as sha256sum -c reads them', async () => {
    const sums = `${hex('sha256', a)}  a.bin\nSHA3-256 (b.bin) = ${hex('sha3-256', b)}\n`;
    expect(await run(sums, undefined)).toEqual([
      ['a.bin', 'downloaded', 'sha256', true],
      ['b.bin', 'downloaded', 'sha3-256', true],
    ]);
  });
});

describe.each(MODES)('attempt counts (%s mode)', (mode) => {
  it('counts the fresh download after a wrong checksum in the total: attempt 2/2 with --retries 0, never 2/1', async () => {
    const s = await startServer((_req, res) => {
      res.writeHead(200, { 'content-length': '4' });
      res.end('abcd');
    });
    try {
      const dir = await tmpDir();
      const sums = path.join(dir, 'SUMS');
      await fs.writeFile(sums, `${'0'.repeat(64)}  x.bin\n`);
      const summary = await download({
        ...engine(mode),
        entries: [`${s.url}/x.bin`],
        dir: path.join(dir, 'out'),
        checksums: sums,
        retries: 0,
      });
      expect(summary.results[0]?.error?.code).toBe('ERR_DL_CHECKSUM');
      expect(summary.results[0]?.error?.message).toMatch(/\(attempt 2\/2\)/);
    } finally {
      await s.close();
    }
  });

  it('a wrong checksum is retried once whatever --retries says: the fresh download is the last attempt (N/N), not N/7', async () => {
    let requests = 0;
    const s = await startServer((_req, res) => {
      // A cut connection first (a retry that counts), then the wrong bytes twice.
      if (++requests === 1) return res.socket?.destroy();
      res.writeHead(200, { 'content-length': '4' });
      res.end('abcd');
    });
    try {
      const dir = await tmpDir();
      const sums = path.join(dir, 'SUMS');
      await fs.writeFile(sums, `${'0'.repeat(64)}  x.bin\n`);
      const { events, onEvent } = collect();
      const summary = await download({
        ...engine(mode),
        entries: [`${s.url}/x.bin`],
        dir: path.join(dir, 'out'),
        checksums: sums,
        retry: FAST_RETRY,
        onEvent,
      });
      const retries = events.flatMap((e) => (e.type === 'retry' ? [e.error] : []));
      expect(retries.map((e) => e.code)).toEqual(['ERR_DL_NETWORK', 'ERR_DL_CHECKSUM']);
      expect(retries[0]?.message).toMatch(/\(attempt 1\/6\)$/);
      expect(retries[1]?.message).toMatch(/\(attempt 2\/3\)$/);
      expect(summary.results[0]?.error?.code).toBe('ERR_DL_CHECKSUM');
      expect(summary.results[0]?.error?.message).toMatch(/\(attempt 3\/3\)$/);
    } finally {
      await s.close();
    }
  });
});
