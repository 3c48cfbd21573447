import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { download } from '../../src/download.js';
import type { RetryEvent } from '../../src/events.js';
import { startServer, type TestServer } from '../helpers/http.js';
import { collect, engine, MODES, tmpDir } from '../helpers/tmp.js';

/** aria2's mirrors: more URLs of the same file on one list line, separated by tabs. */
const BODY = 'the same file on every mirror, 48 bytes long...';

let servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

/** A mirror that answers `status` to everything (200: the file, with ranges). */
async function mirror(status: number, opts: { cutAfter?: number } = {}): Promise<TestServer> {
  const s = await startServer((req, res) => {
    if (status !== 200) return void res.writeHead(status, { 'content-length': '0' }).end();
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    const body = BODY.slice(start);
    res.writeHead(range ? 206 : 200, {
      'content-length': String(body.length),
      'accept-ranges': 'bytes',
      ...(range ? { 'content-range': `bytes ${start}-${BODY.length - 1}/${BODY.length}` } : {}),
    });
    if (opts.cutAfter === undefined) return void res.end(body);
    // Half the body, then the connection is cut.
    res.write(body.slice(0, opts.cutAfter));
    setTimeout(() => res.socket?.destroy(), 50);
  });
  servers.push(s);
  return s;
}

async function list(dir: string, ...urls: string[]): Promise<string> {
  const file = path.join(dir, 'list.txt');
  await fs.writeFile(file, `${urls.join('\t')}\n`);
  return file;
}

// A retry backoff this long would show in the test's time: moving to a mirror must not wait for it.
const SLOW_BACKOFF = { retries: 2, baseDelayMs: 60_000, maxDelayMs: 60_000 };

describe.each(MODES)('%s mode', (mode) => {
  it('a failed attempt moves to the next mirror at once, a 404 included, and the file comes from there', async () => {
    const [down, missing, good] = [await mirror(503), await mirror(404), await mirror(200)];
    const dir = await tmpDir();
    const { events, onEvent } = collect();
    const summary = await download({
      ...engine(mode),
      sources: [await list(dir, `${down.url}/f.bin`, `${missing.url}/f.bin`, `${good.url}/f.bin`)],
      dir: path.join(dir, 'out'),
      retry: SLOW_BACKOFF,
      onEvent,
    });
    expect(summary.downloaded).toBe(1);
    expect(await fs.readFile(path.join(dir, 'out', 'f.bin'), 'utf8')).toBe(BODY);
    expect(summary.results[0]).toMatchObject({
      attempts: 3,
      url: `${down.url}/f.bin`,
      mirror: `${good.url}/f.bin`,
      path: 'f.bin',
    });
    const retries = events.filter((e): e is RetryEvent => e.type === 'retry');
    expect(retries.map((r) => r.delayMs)).toEqual([0, 0]);
    // Each retry names the URL that failed.
    expect(retries[1]!.error.message).toMatch(
      new RegExp(`404 Not Found: GET ${missing.url}/f.bin \\(attempt 2/9\\)`),
    );
  });

  it('a body cut on one mirror is resumed from another (Range) when a checksum will prove the file', async () => {
    const [cut, good] = [await mirror(200, { cutAfter: 20 }), await mirror(200)];
    const dir = await tmpDir();
    const sum = createHash('sha256').update(BODY).digest('hex');
    const file = await list(dir, `${cut.url}/f.bin`, `${good.url}/f.bin\n  checksum=sha-256=${sum}`);
    const summary = await download({ ...engine(mode), sources: [file], dir, retry: SLOW_BACKOFF });
    expect(summary.results[0]).toMatchObject({ status: 'downloaded', resumed: true, attempts: 2 });
    expect(await fs.readFile(path.join(dir, 'f.bin'), 'utf8')).toBe(BODY);
    expect(good.requests[0]!.headers.range).toBe('bytes=20-');
  });

  it('when every mirror fails for good, the entry fails once each was tried, naming the last', async () => {
    const [a, b] = [await mirror(404), await mirror(410)];
    const dir = await tmpDir();
    const summary = await download({
      ...engine(mode),
      sources: [await list(dir, `${a.url}/f.bin`, `${b.url}/f.bin`)],
      dir,
      retry: SLOW_BACKOFF,
    });
    expect(summary.failed).toBe(1);
    expect(summary.results[0]!.attempts).toBe(2);
    expect(summary.results[0]!.error?.message).toMatch(
      new RegExp(`410 Gone: GET ${b.url}/f.bin \\(attempt 2, not retried\\)`),
    );
    expect(a.requests).toHaveLength(1);
    expect(b.requests).toHaveLength(1);
  });

  it('a mirror the library is given that is not a usable URL fails its entry, naming it', async () => {
    const good = await mirror(200);
    const dir = await tmpDir();
    const summary = await download({
      ...engine(mode),
      entries: [
        {
          kind: 'entry',
          url: `${good.url}/f.bin`,
          mirrors: ['ftp://x/f.bin'],
          source: 'lib',
          line: 1,
          options: {},
        },
      ],
      dir,
    });
    expect(summary.results[0]).toMatchObject({
      status: 'failed',
      error: { code: 'ERR_DL_UNSUPPORTED_SCHEME' },
    });
    expect(summary.results[0]!.error?.message).toMatch(/^lib:1: mirror: unsupported scheme 'ftp:'/);
  });
});
