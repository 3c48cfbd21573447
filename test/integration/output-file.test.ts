import fs from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { download } from '../../src/download.js';
import { startServer, type TestServer } from '../helpers/http.js';
import { engine, listFiles, MODES, tmpDir } from '../helpers/tmp.js';

// output (-o FILE): one entry saved under the name the caller chose, relative to dir, atomically (.part beside
// it); more than one entry is a usage error before anything is fetched.

const servers: TestServer[] = [];
async function serve(): Promise<TestServer> {
  const s = await startServer((req, res) => {
    const m = /^\/(\w+)\.bin$/.exec(req.url ?? '');
    if (!m) return res.writeHead(404).end('not here');
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(`body of ${m[1]}`);
  });
  servers.push(s);
  return s;
}

/** The message of the usage error `p` rejects with (and it fails the test when `p` does not reject so). */
async function usageError(p: Promise<unknown>): Promise<string> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toMatchObject({ code: 'ERR_DL_USAGE' });
  return (err as Error).message;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe.each(MODES)('%s mode', (mode) => {
  it('saves the one URL as dir/output, its folder made, nothing else left there', async () => {
    const s = await serve();
    const dir = await tmpDir();
    const summary = await download({
      ...engine(mode),
      sources: [`${s.url}/a.bin`],
      dir,
      output: 'sub/chosen.dat',
    });
    expect(summary.downloaded).toBe(1);
    expect(summary.dir).toBe(path.join(dir, 'sub'));
    expect(await fs.readFile(path.join(dir, 'sub', 'chosen.dat'), 'utf8')).toBe('body of a');
    expect(await listFiles(dir)).toEqual(['sub/chosen.dat']);
  });

  it('writes FILE.part beside FILE, and a rerun continues it (Range) before the rename', async () => {
    const body = Buffer.alloc(600_000, 3);
    let first = true;
    const s = await startServer((req, res) => {
      const m = /^bytes=(\d+)-$/.exec(String(req.headers.range ?? ''));
      const start = m ? Number(m[1]) : 0;
      const headers = { etag: '"e"', 'content-length': body.length - start };
      if (start > 0) {
        res.writeHead(206, {
          ...headers,
          'content-range': `bytes ${start}-${body.length - 1}/${body.length}`,
        });
      } else res.writeHead(200, headers);
      if (!first) return res.end(body.subarray(start));
      first = false;
      res.write(body.subarray(0, 300_000), () => setImmediate(() => res.socket?.destroy()));
    });
    servers.push(s);
    const dir = await tmpDir();
    const run = () =>
      download({ ...engine(mode), entries: [`${s.url}/z.bin`], dir, output: 'got/it.dat', retries: 0 });
    expect((await run()).failed).toBe(1);
    expect(await listFiles(dir)).toEqual(['got/it.dat.part', 'got/it.dat.part.meta']);
    expect((await run()).downloaded).toBe(1);
    expect(s.requests[1]!.headers.range).toMatch(/^bytes=[1-9]\d*-$/);
    expect((await fs.readFile(path.join(dir, 'got', 'it.dat'))).equals(body)).toBe(true);
    expect(await listFiles(dir)).toEqual(['got/it.dat']);
  });

  it('takes an absolute output as it is, whatever dir says', async () => {
    const s = await serve();
    const dir = await tmpDir();
    const file = path.join(dir, 'abs.dat');
    const summary = await download({
      ...engine(mode),
      entries: [`${s.url}/b.bin`],
      dir: path.join(dir, 'never'),
      output: file,
    });
    expect(summary.downloaded).toBe(1);
    expect(await fs.readFile(file, 'utf8')).toBe('body of b');
    expect(await listFiles(dir)).toEqual(['abs.dat']);
  });

  it('refuses a run of more than one entry (a list of two) before fetching anything', async () => {
    const s = await serve();
    const dir = await tmpDir();
    const list = path.join(dir, 'list.txt');
    await fs.writeFile(list, `${s.url}/a.bin\n${s.url}/b.bin\n`);
    expect(await usageError(download({ ...engine(mode), sources: [list], dir, output: 'x.dat' }))).toMatch(
      /^output: .*exactly one URL/,
    );
    expect(s.requests).toEqual([]);
    expect(await listFiles(dir)).toEqual(['list.txt']);
  });
});

it('refuses an output that names no file, or a folder', async () => {
  const dir = await tmpDir();
  const refused = (output: string) =>
    usageError(download({ entries: ['http://127.0.0.1:9/a'], dir, output }));
  expect(await refused('')).toMatch(/^output: expected a file name/);
  expect(await refused('sub/')).toMatch(/^output: .*names no file/);
  expect(await refused(dir)).toMatch(/^output: .* is a folder/);
});

describe("output '-'", () => {
  it('writes the body to the stdout stream, makes no folder, and stops when the stream fails', async () => {
    const body = Buffer.alloc(3 * 1024 * 1024, 7);
    const s = await startServer((_req, res) =>
      res.writeHead(200, { 'content-length': body.length }).end(body),
    );
    servers.push(s);
    const dir = path.join(await tmpDir(), 'absent');
    expect(await usageError(download({ entries: [`${s.url}/x.bin`], dir, output: '-' }))).toMatch(
      /^output: - writes the body to the stream given as stdout/,
    );
    const chunks: Buffer[] = [];
    const stdout = new Writable({
      highWaterMark: 16 * 1024,
      write: (c: Buffer, _e, cb) => {
        chunks.push(c);
        setImmediate(cb);
      },
    });
    const ok = await download({ entries: [`${s.url}/x.bin`], dir, output: '-', stdout, keepResults: true });
    expect(ok.results[0]).toMatchObject({ status: 'downloaded', path: '-', bytes: body.length });
    expect(Buffer.concat(chunks).equals(body)).toBe(true);
    await expect(fs.stat(dir)).rejects.toMatchObject({ code: 'ENOENT' });
    let taken = 0;
    const closing = new Writable({
      write: (c: Buffer, _e, cb) => {
        taken += c.length;
        cb(taken > 100_000 ? Object.assign(new Error('closed'), { code: 'EPIPE' }) : null);
      },
    });
    const before = s.requests.length;
    const cut = await download({
      entries: [`${s.url}/x.bin`],
      dir,
      output: '-',
      stdout: closing,
      keepResults: true,
    });
    expect(cut.results[0]).toMatchObject({
      status: 'failed',
      error: { code: 'ERR_DL_FILE', errno: 'EPIPE' },
    });
    expect(s.requests.length - before).toBe(1);
  });
});
