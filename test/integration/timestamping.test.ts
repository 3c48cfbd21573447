import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { download } from '../../src/index.js';
import { synthBytes } from '../../src/server/synth.js';
import type { TestServer } from '../helpers/http.js';
import { engine, FAST_RETRY, listFiles, MODES, tmpDir } from '../helpers/tmp.js';
import { type Served, versionedServer } from '../helpers/versioned-server.js';

const KiB = 1024;
/** Bodies compared by digest: a deep equality of two 600 KiB Buffers takes seconds. */
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const V1_TIME = 'Mon, 01 Jan 2024 10:00:00 GMT';
const V2_TIME = 'Tue, 02 Jan 2024 10:00:00 GMT';

/** Version `v` of `name`: its own bytes, a strong ETag and a Last-Modified a day after the one before. */
function version(name: string, v: number, size = 8 * KiB, more: Partial<Served> = {}): Served {
  return {
    body: synthBytes(`${name}#v${v}`, 0, size),
    etag: `"${name}-v${v}"`,
    lastModified: v === 1 ? V1_TIME : V2_TIME,
    ...more,
  };
}

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const GETS = (s: TestServer, p: string) => s.requests.filter((r) => r.path === p);

describe.each(MODES)('-N, --timestamping (%s)', (mode) => {
  const run = (url: string, dir: string, more: Parameters<typeof download>[0] = {}) =>
    download({ ...engine(mode), sources: [url], dir, timestamping: true, retry: FAST_RETRY, ...more });

  it('a 304 keeps the file untouched (same inode, same time) and says unchanged', async () => {
    const files = new Map([['/a.bin', version('a', 1)]]);
    server = await versionedServer(files);
    const dir = await tmpDir();
    const url = `${server.url}/a.bin`;
    expect((await run(url, dir)).downloaded).toBe(1);
    const file = path.join(dir, 'a.bin');
    const before = await fs.stat(file);
    const s = await run(url, dir);
    expect(s.results[0]).toMatchObject({ status: 'unchanged', bytes: 8 * KiB, transferred: 0, attempts: 1 });
    expect({ downloaded: s.downloaded, skipped: s.skipped, unchanged: s.unchanged }).toEqual({
      downloaded: 0,
      skipped: 0,
      unchanged: 1,
    });
    const after = await fs.stat(file);
    expect([after.ino, after.mtimeMs, after.size]).toEqual([before.ino, before.mtimeMs, before.size]);
    expect(GETS(server, '/a.bin')).toHaveLength(2);
  });

  it('a changed server copy replaces the file: new bytes, new time', async () => {
    const files = new Map([['/a.bin', version('a', 1)]]);
    server = await versionedServer(files);
    const dir = await tmpDir();
    const url = `${server.url}/a.bin`;
    await run(url, dir);
    files.set('/a.bin', version('a', 2, 12 * KiB));
    const s = await run(url, dir);
    expect(s.results[0]).toMatchObject({ status: 'downloaded', bytes: 12 * KiB });
    expect(sha(await fs.readFile(path.join(dir, 'a.bin')))).toBe(sha(files.get('/a.bin')!.body));
    expect((await fs.stat(path.join(dir, 'a.bin'))).mtimeMs).toBe(Date.parse(V2_TIME));
    expect(await listFiles(dir)).toEqual(expect.arrayContaining(['a.bin']));
    expect((await listFiles(dir)).filter((f) => !f.startsWith('.dlpool/'))).toEqual(['a.bin']);
  });

  it('a server without validators: the file is downloaded again', async () => {
    const files = new Map([
      ['/a.bin', version('a', 1, 8 * KiB, { etag: undefined, lastModified: undefined })],
    ]);
    server = await versionedServer(files);
    const dir = await tmpDir();
    const url = `${server.url}/a.bin`;
    await run(url, dir);
    const s = await run(url, dir);
    expect(s.results[0]).toMatchObject({ status: 'downloaded', transferred: 8 * KiB });
    // It was asked conditionally (by the file's time), and the server could not say.
    expect(GETS(server, '/a.bin')[1]!.headers['if-modified-since']).toBeDefined();
  });

  it('sends the ETag it kept as If-None-Match (not If-Modified-Since); without one, the file time', async () => {
    const files = new Map([
      ['/kept.bin', version('kept', 1)],
      ['/plain.bin', version('plain', 1)],
    ]);
    server = await versionedServer(files);
    const dir = await tmpDir();
    // kept.bin was downloaded by a -N run (its ETag kept), plain.bin by a run without -N.
    await run(`${server.url}/kept.bin`, dir);
    await run(`${server.url}/plain.bin`, dir, { timestamping: false });
    const s = await download({
      ...engine(mode),
      sources: [`${server.url}/kept.bin`, `${server.url}/plain.bin`],
      dir,
      timestamping: true,
    });
    expect(s.unchanged).toBe(2);
    const kept = GETS(server, '/kept.bin')[1]!.headers;
    expect([kept['if-none-match'], kept['if-modified-since']]).toEqual(['"kept-v1"', undefined]);
    const plain = GETS(server, '/plain.bin')[1]!.headers;
    expect([plain['if-none-match'], plain['if-modified-since']]).toEqual([undefined, V1_TIME]);
  });

  it("keeps ETags inside --dir's .dlpool/ across runs, only with -N, and not for a file changed since", async () => {
    const files = new Map([['/a.bin', version('a', 1)]]);
    server = await versionedServer(files);
    const url = `${server.url}/a.bin`;
    // Without -N nothing but the download is written.
    const plainDir = await tmpDir();
    await run(url, plainDir, { timestamping: false });
    expect(await listFiles(plainDir)).toEqual(['a.bin']);

    const dir = await tmpDir();
    await run(url, dir);
    const own = (await listFiles(dir)).filter((f) => f !== 'a.bin');
    expect(own.length).toBe(1);
    expect(own[0]).toMatch(/^\.dlpool\//);
    expect(JSON.parse(await fs.readFile(path.join(dir, own[0]!), 'utf8'))).toMatchObject({ etag: '"a-v1"' });
    // A rerun (a new download() call: nothing held in memory) uses it.
    await run(url, dir);
    expect(GETS(server, '/a.bin').at(-1)!.headers['if-none-match']).toBe('"a-v1"');
    // The file changed on disk since (another tool wrote it): its kept ETag no longer speaks for it.
    // (Given a time before the server's, so the server's copy is the newer one.)
    await fs.writeFile(path.join(dir, 'a.bin'), 'edited by hand');
    const older = new Date('2023-06-01T00:00:00Z');
    await fs.utimes(path.join(dir, 'a.bin'), older, older);
    const s = await run(url, dir);
    const asked = GETS(server, '/a.bin').at(-1)!.headers;
    expect([asked['if-none-match'], asked['if-modified-since']]).toEqual([undefined, older.toUTCString()]);
    expect(s.results[0]).toMatchObject({ status: 'downloaded' });
    expect(sha(await fs.readFile(path.join(dir, 'a.bin')))).toBe(sha(files.get('/a.bin')!.body));
  });

  it('a link planted at DIR/.dlpool is not written through: no ETag kept, the download unharmed', async () => {
    const files = new Map([['/a.bin', version('a', 1)]]);
    server = await versionedServer(files);
    const dir = await tmpDir();
    const elsewhere = await tmpDir();
    await fs.symlink(elsewhere, path.join(dir, '.dlpool'));
    const url = `${server.url}/a.bin`;
    expect((await run(url, dir)).downloaded).toBe(1);
    expect(await listFiles(elsewhere)).toEqual([]);
    // The next -N run asks by the file's time instead.
    expect((await run(url, dir)).unchanged).toBe(1);
    const asked = GETS(server, '/a.bin').at(-1)!.headers;
    expect([asked['if-none-match'], asked['if-modified-since']]).toEqual([undefined, V1_TIME]);
  });

  it('a replacement cut mid-way leaves the old file whole; the next run finishes the new one, never spliced', async () => {
    const size = 600 * KiB;
    const files = new Map([['/a.bin', version('a', 1, size)]]);
    server = await versionedServer(files);
    const dir = await tmpDir();
    const url = `${server.url}/a.bin`;
    await run(url, dir);
    const file = path.join(dir, 'a.bin');
    const old = await fs.readFile(file);
    const oldStat = await fs.stat(file);
    files.set('/a.bin', version('a', 2, size, { cutAfter: 200 * KiB }));
    const cut = await run(url, dir, { retries: 0 });
    expect(cut.results[0]).toMatchObject({ status: 'failed' });
    expect(sha(await fs.readFile(file))).toBe(sha(old));
    expect((await fs.stat(file)).ino).toBe(oldStat.ino);
    expect((await fs.stat(`${file}.part`)).size).toBe(200 * KiB);
    // The next run continues the .part (If-Range: the same version) and replaces the file.
    const s = await run(url, dir);
    expect(s.results[0]).toMatchObject({ status: 'downloaded', resumed: true });
    expect(sha(await fs.readFile(file))).toBe(sha(files.get('/a.bin')!.body));
    const last = GETS(server, '/a.bin').at(-1)!.headers;
    expect([last.range, last['if-range']]).toEqual([`bytes=${200 * KiB}-`, '"a-v2"']);
    // Cut again, then the server moves on to a third version: the .part restarts, not spliced.
    files.set(
      '/a.bin',
      version('a', 2, size, { cutAfter: 100 * KiB, etag: '"a-v2b"', body: synthBytes('b', 0, size) }),
    );
    await run(url, dir, { retries: 0 });
    files.set('/a.bin', version('a', 3, size));
    const third = await run(url, dir);
    expect(third.results[0]).toMatchObject({ status: 'downloaded', resumed: false });
    expect(sha(await fs.readFile(file))).toBe(sha(files.get('/a.bin')!.body));
  });

  it('an interrupted run leaves the old file whole', async () => {
    const size = 600 * KiB;
    const files = new Map([['/a.bin', version('a', 1, size)]]);
    server = await versionedServer(files);
    const dir = await tmpDir();
    const url = `${server.url}/a.bin`;
    await run(url, dir);
    const file = path.join(dir, 'a.bin');
    const old = await fs.readFile(file);
    const ac = new AbortController();
    // The server sends part of the new copy and holds the rest: the run is stopped meanwhile.
    files.set('/a.bin', version('a', 2, size, { cutAfter: 100 * KiB, onCut: () => ac.abort() }));
    const s = await run(url, dir, { signal: ac.signal, retries: 1000 });
    expect(s.interrupted).toBe('aborted');
    expect(sha(await fs.readFile(file))).toBe(sha(old));
  });

  it('with -x, a changed file comes in ranges and replaces the old one', async () => {
    const size = 1024 * KiB;
    const files = new Map([['/a.bin', version('a', 1, size)]]);
    server = await versionedServer(files);
    const dir = await tmpDir();
    const url = `${server.url}/a.bin`;
    const split = { split: 4, minSplitSizeBytes: 64 * KiB };
    await run(url, dir, split);
    expect((await run(url, dir, split)).unchanged).toBe(1);
    files.set('/a.bin', version('a', 2, size));
    const s = await run(url, dir, split);
    expect(s.results[0]).toMatchObject({ status: 'downloaded' });
    expect(GETS(server, '/a.bin').filter((r) => r.headers.range !== undefined).length).toBeGreaterThan(0);
    expect(sha(await fs.readFile(path.join(dir, 'a.bin')))).toBe(sha(files.get('/a.bin')!.body));
    expect((await fs.stat(path.join(dir, 'a.bin'))).mtimeMs).toBe(Date.parse(V2_TIME));
  });

  it('a present file that matches its known checksum is kept without a request', async () => {
    const files = new Map([['/a.bin', version('a', 1)]]);
    server = await versionedServer(files);
    const dir = await tmpDir();
    const body = files.get('/a.bin')!.body;
    await fs.writeFile(path.join(dir, 'a.bin'), body);
    const hex = createHash('sha256').update(body).digest('hex');
    const sums = path.join(await tmpDir(), 'SHA256SUMS');
    await fs.writeFile(sums, `${hex}  a.bin\n`);
    const s = await download({
      ...engine(mode),
      sources: [`${server.url}/a.bin`],
      checksums: sums,
      dir,
      timestamping: true,
    });
    expect(s.results[0]).toMatchObject({ status: 'skipped' });
    expect(server.requests).toHaveLength(0);
  });
});

describe('-N with --overwrite', () => {
  it('is a usage error: one says what changed, the other everything', async () => {
    await expect(download({ sources: [], timestamping: true, overwrite: true })).rejects.toThrow(
      /timestamping.*overwrite/,
    );
  });
});
