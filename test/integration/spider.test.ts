import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { download } from '../../src/download.js';
import type { FileResult } from '../../src/events.js';
import { virtualClock } from '../helpers/clock.js';
import { startServer, type TestServer } from '../helpers/http.js';
import { engine, FAST_RETRY, MODES, tmpDir } from '../helpers/tmp.js';

// spider (--spider, --dry-run): every URL checked (HEAD, else a one-byte range GET), reported with its status,
// size and the name a real run would give it; nothing written under dir.

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(): Promise<TestServer> {
  const busy = new Map<string, number>();
  const s = await startServer((req, res) => {
    const url = req.url ?? '';
    const head = req.method === 'HEAD';
    if (url === '/a.bin')
      return res.writeHead(200, { 'content-length': 1234 }).end(head ? undefined : 'x'.repeat(1234));
    if (url === '/nohead.bin') {
      if (head) return res.writeHead(405).end();
      if (req.headers.range !== 'bytes=0-0')
        return res.writeHead(200, { 'content-length': 5000 }).end('y'.repeat(5000));
      return res.writeHead(206, { 'content-range': 'bytes 0-0/5000', 'content-length': 1 }).end('y');
    }
    if (url === '/cd') {
      return res
        .writeHead(200, { 'content-disposition': 'attachment; filename="named.txt"', 'content-length': 7 })
        .end();
    }
    if (url === '/moved') return res.writeHead(302, { location: '/a.bin' }).end();
    if (url.startsWith('/busy')) {
      const n = (busy.get(url) ?? 0) + 1;
      busy.set(url, n);
      if (n === 1) return res.writeHead(503, { 'retry-after': '0' }).end();
      return res.writeHead(200, { 'content-length': 10 }).end(head ? undefined : '0123456789');
    }
    res.writeHead(404).end();
  });
  servers.push(s);
  return s;
}

describe.each(MODES)('%s mode', (mode) => {
  it('reports status, size and name for each URL, writes nothing, and fails what a real run would', async () => {
    const s = await serve();
    const dir = path.join(await tmpDir(), 'never', 'made');
    const summary = await download({
      ...engine(mode),
      entries: [
        `${s.url}/a.bin`,
        `${s.url}/nohead.bin`,
        `${s.url}/cd`,
        `${s.url}/moved`,
        `${s.url}/busy`,
        `${s.url}/gone.bin`,
      ],
      dir,
      spider: true,
      contentDisposition: true,
      retry: FAST_RETRY,
      keepResults: true,
    });
    const by = (suffix: string) => summary.results.find((r) => r.url.endsWith(suffix)) as FileResult;
    expect(by('/a.bin')).toMatchObject({
      status: 'checked',
      path: 'a.bin',
      check: { status: 200, size: 1234, method: 'HEAD' },
    });
    expect(by('/nohead.bin')).toMatchObject({
      status: 'checked',
      path: 'nohead.bin',
      check: { status: 206, size: 5000, method: 'GET' },
    });
    expect(by('/cd')).toMatchObject({ status: 'checked', path: 'named.txt', check: { size: 7 } });
    expect(by('/moved')).toMatchObject({ status: 'checked', path: 'moved', check: { size: 1234 } });
    expect(by('/busy')).toMatchObject({ status: 'checked', attempts: 2, check: { status: 200, size: 10 } });
    expect(by('/gone.bin')).toMatchObject({
      status: 'failed',
      error: { code: 'ERR_DL_HTTP_STATUS', status: 404 },
    });
    expect(by('/gone.bin').error!.message).toMatch(
      /^404 Not Found: HEAD http:\S+\/gone\.bin \(attempt 1, not retried\)$/,
    );
    expect(summary).toMatchObject({ checked: 5, failed: 1, downloaded: 0, bytes: 0, transferred: 0 });
    await expect(fs.stat(path.dirname(dir))).rejects.toMatchObject({ code: 'ENOENT' });
    const seen = (p: string) =>
      s.requests.filter((q) => q.path === p).map((q) => `${q.method} ${q.headers.range ?? ''}`.trim());
    expect(seen('/a.bin')).toEqual(['HEAD', 'HEAD']); // itself, and the redirect's target
    expect(seen('/nohead.bin')).toEqual(['HEAD', 'GET bytes=0-0']);
    expect(s.requests.every((q) => q.method === 'HEAD' || q.headers.range === 'bytes=0-0')).toBe(true);
  });

  it("sends credentials to the URL's own origin only, across a redirect, as a real run", async () => {
    const other = await serve();
    const home = await startServer((req, res) => {
      res.writeHead(302, { location: `${other.url}/a.bin` }).end();
    });
    servers.push(home);
    const summary = await download({
      ...engine(mode),
      entries: [`${home.url.replace('//', '//user:secret@')}/start`],
      dir: path.join(await tmpDir(), 'absent'),
      spider: true,
      headers: ['Cookie: c=1'],
      keepResults: true,
    });
    expect(summary.results[0]).toMatchObject({ status: 'checked', check: { status: 200, size: 1234 } });
    expect(home.requests[0]!.headers.authorization).toBe(
      `Basic ${Buffer.from('user:secret').toString('base64')}`,
    );
    expect(other.requests.map((q) => q.method)).toEqual(['HEAD']);
    expect(other.requests[0]!.headers.authorization).toBeUndefined();
    expect(other.requests[0]!.headers.cookie).toBeUndefined();
  });

  it('waits out a 429 with Retry-After (on the run clock), then checks again', async () => {
    let n = 0;
    const s = await startServer((req, res) => {
      if (++n === 1) return res.writeHead(429, { 'retry-after': '120' }).end();
      res.writeHead(200, { 'content-length': 5 }).end();
    });
    servers.push(s);
    const clock = virtualClock();
    const summary = await download(
      {
        ...engine(mode),
        entries: [`${s.url}/later.bin`],
        dir: path.join(await tmpDir(), 'absent'),
        spider: true,
        retry: FAST_RETRY,
        keepResults: true,
      },
      undefined,
      clock,
    );
    expect(summary.results[0]).toMatchObject({
      status: 'checked',
      attempts: 2,
      check: { status: 200, size: 5 },
    });
    expect(clock.slept).toEqual([120_000]);
    expect(s.requests.map((q) => q.method)).toEqual(['HEAD', 'HEAD']);
  });

  it('fails a file over maxSizeBytes, as the real run would, without fetching it', async () => {
    const s = await serve();
    const summary = await download({
      ...engine(mode),
      entries: [`${s.url}/a.bin`],
      dir: path.join(await tmpDir(), 'absent'),
      spider: true,
      maxSizeBytes: 1000,
      keepResults: true,
    });
    expect(summary.results[0]).toMatchObject({ status: 'failed', error: { code: 'ERR_DL_TOO_LARGE' } });
    expect(s.requests.map((q) => q.method)).toEqual(['HEAD']);
  });
});
