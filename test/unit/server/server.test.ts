import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, parseSize, type RunningServer, synthBytes } from '../../../src/server/index.js';
import { parseRange } from '../../../src/server/server.js';
import { tmpDir } from '../../helpers/tmp.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const SYNTH_DATE = 'Mon, 01 Jan 2024 00:00:00 GMT';

interface Got {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

async function get(url: string, headers: Record<string, string> = {}, method: 'GET' | 'HEAD' = 'GET') {
  const r = await request(url, { method, headers });
  const body = Buffer.from(await r.body.arrayBuffer());
  return { status: r.statusCode, headers: r.headers, body } satisfies Got;
}

/** A request whose path goes on the wire exactly as written (URL parsing would resolve `..`). */
function rawGet(base: string, rawPath: string): Promise<Got> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port, path: rawPath, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('parseSize', () => {
  it('reads bytes and K/M/G suffixes as powers of 1024', () => {
    expect(parseSize('0')).toBe(0);
    expect(parseSize('100000')).toBe(100_000);
    expect(parseSize('16K')).toBe(16 * KiB);
    expect(parseSize('16k')).toBe(16 * KiB);
    expect(parseSize('64M')).toBe(64 * MiB);
    expect(parseSize('2g')).toBe(2 * 1024 * MiB);
  });
  it('refuses anything else', () => {
    for (const bad of ['', 'K', '1.5M', '-1', '1KB', '1T', ' 1', 'abc', '99999999999999999999']) {
      expect(parseSize(bad), bad).toBeUndefined();
    }
  });
});

describe('parseRange', () => {
  it('reads the three single-range forms', () => {
    expect(parseRange('bytes=0-9', 100)).toEqual({ start: 0, end: 10 });
    expect(parseRange('bytes=90-', 100)).toEqual({ start: 90, end: 100 });
    expect(parseRange('bytes=-10', 100)).toEqual({ start: 90, end: 100 });
    expect(parseRange('bytes=50-1000', 100)).toEqual({ start: 50, end: 100 });
    expect(parseRange('bytes=-1000', 100)).toEqual({ start: 0, end: 100 });
  });
  it('ignores multiple or malformed ranges and reports unsatisfiable ones', () => {
    expect(parseRange('bytes=0-1,5-6', 100)).toBe('ignore');
    expect(parseRange('items=0-1', 100)).toBe('ignore');
    expect(parseRange('bytes=-', 100)).toBe('ignore');
    expect(parseRange('bytes=9-3', 100)).toBe('ignore');
    expect(parseRange('bytes=100-', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=-0', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=0-', 0)).toBe('unsatisfiable');
  });
});

describe('synthBytes', () => {
  it('is pinned: the same bytes on every machine and in every release', () => {
    // samples/aria2.txt and samples/*.sha256 carry digests of synthetic files: if these change, so do they.
    expect(sha256(synthBytes('/gen/32K/notes.txt', 0, 32 * KiB))).toBe(
      'e86cbc3cd85ae24edb8877725cc735bda8d02a0c493ee77e3a00fd5f8986a4e1',
    );
    expect(sha256(synthBytes('/gen/1M/golden.bin', 0, MiB))).toBe(
      'f5897849364acbfce135ee2887e1eb519f9c4a5328d211a63ace8ce3c29605cc',
    );
    expect(synthBytes('/gen/1M/golden.bin', 0, 16).toString('hex')).toBe('e4aedcd804ecc19f3bb3c8a803060b45');
  });

  it('computes any slice directly, equal to the slice of the whole', () => {
    const p = '/gen/300000/slices.bin';
    const whole = synthBytes(p, 0, 300_000);
    for (const [a, b] of [
      [0, 0],
      [0, 1],
      [3, 8],
      [5, 70_000],
      [65_535, 65_545],
      [131_072, 131_080],
      [199_999, 300_000],
    ] as const) {
      expect(synthBytes(p, a, b).equals(whole.subarray(a, b)), `${a}-${b}`).toBe(true);
    }
  });

  it('gives different blocks and different paths different bytes', () => {
    const p = '/gen/1M/a.bin';
    const b0 = synthBytes(p, 0, 64 * KiB);
    const b1 = synthBytes(p, 64 * KiB, 128 * KiB);
    expect(b0.equals(b1)).toBe(false);
    expect(b0.subarray(0, 8).equals(b1.subarray(0, 8))).toBe(false);
    expect(synthBytes('/gen/1M/b.bin', 0, 64 * KiB).equals(b0)).toBe(false);
    expect(synthBytes('/gen/1K/a', 0, 1024).equals(synthBytes('/gen/1K/b', 0, 1024))).toBe(false);
  });

  it('refuses a bad range', () => {
    expect(() => synthBytes('/gen/1K/a', 10, 5)).toThrow(RangeError);
    expect(() => synthBytes('/gen/1K/a', -1, 5)).toThrow(RangeError);
  });
});

describe('createServer: synthetic files', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await createServer({});
  });
  afterAll(async () => {
    await server.close();
  });
  const url = (p: string) => new URL(p, server.url).href;

  it('has a base URL with a trailing slash', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
  });

  it('serves exact sizes, byte for byte equal to synthBytes', async () => {
    for (const [p, size] of [
      ['/gen/0/empty', 0],
      ['/gen/1/one', 1],
      ['/gen/100000/odd.bin', 100_000],
      ['/gen/16K/a.bin', 16 * KiB],
      ['/gen/64K/k.bin', 64 * KiB],
      ['/gen/3M/three.bin', 3 * MiB],
      ['/gen/10/dir/nested.bin', 10],
    ] as const) {
      const r = await get(url(p));
      expect(r.status, p).toBe(200);
      expect(r.headers['content-length'], p).toBe(String(size));
      expect(r.headers['accept-ranges']).toBe('bytes');
      expect(r.headers['content-type']).toBe('application/octet-stream');
      expect(r.headers['last-modified']).toBe(SYNTH_DATE);
      expect(r.headers.etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
      expect(r.body.length, p).toBe(size);
      expect(r.body.equals(synthBytes(p, 0, size)), p).toBe(true);
    }
  });

  it('is deterministic across requests, and paths differ', async () => {
    const a1 = await get(url('/gen/200000/x.bin'));
    const a2 = await get(url('/gen/200000/x.bin'));
    const b = await get(url('/gen/200000/y.bin'));
    expect(a1.body.equals(a2.body)).toBe(true);
    expect(a1.headers.etag).toBe(a2.headers.etag);
    expect(a1.body.equals(b.body)).toBe(false);
    expect(a1.headers.etag).not.toBe(b.headers.etag);
  });

  it('answers single ranges with 206 and the matching slice', async () => {
    const p = '/gen/100000/ranges.bin';
    const whole = synthBytes(p, 0, 100_000);
    for (const [range, start, end] of [
      ['bytes=0-0', 0, 1],
      ['bytes=10-65545', 10, 65_546],
      ['bytes=99990-', 99_990, 100_000],
      ['bytes=-5', 99_995, 100_000],
      ['bytes=5000-999999', 5000, 100_000],
    ] as const) {
      const r = await get(url(p), { range });
      expect(r.status, range).toBe(206);
      expect(r.headers['content-range'], range).toBe(`bytes ${start}-${end - 1}/100000`);
      expect(r.headers['content-length'], range).toBe(String(end - start));
      expect(r.body.equals(whole.subarray(start, end)), range).toBe(true);
    }
  });

  it('answers an unsatisfiable range with 416 and the total size', async () => {
    const r = await get(url('/gen/1000/small.bin'), { range: 'bytes=1000-' });
    expect(r.status).toBe(416);
    expect(r.headers['content-range']).toBe('bytes */1000');
    expect(r.body.length).toBe(0);
  });

  it('ignores multiple ranges and sends the whole body', async () => {
    const r = await get(url('/gen/1000/multi.bin'), { range: 'bytes=0-1,5-6' });
    expect(r.status).toBe(200);
    expect(r.headers['content-range']).toBeUndefined();
    expect(r.body.length).toBe(1000);
  });

  it('honours If-Range only when it matches the ETag or Last-Modified', async () => {
    const p = '/gen/5000/ifrange.bin';
    const { headers } = await get(url(p), {}, 'HEAD');
    const etag = String(headers.etag);
    const match = await get(url(p), { range: 'bytes=100-', 'if-range': etag });
    expect(match.status).toBe(206);
    expect(match.body.equals(synthBytes(p, 100, 5000))).toBe(true);
    const byDate = await get(url(p), { range: 'bytes=100-', 'if-range': SYNTH_DATE });
    expect(byDate.status).toBe(206);
    const stale = await get(url(p), { range: 'bytes=100-', 'if-range': '"something-else"' });
    expect(stale.status).toBe(200);
    expect(stale.headers['content-range']).toBeUndefined();
    expect(stale.body.equals(synthBytes(p, 0, 5000))).toBe(true);
  });

  it('answers HEAD with headers only', async () => {
    const r = await get(url('/gen/64M/head.bin'), {}, 'HEAD');
    expect(r.status).toBe(200);
    expect(r.headers['content-length']).toBe(String(64 * MiB));
    expect(r.body.length).toBe(0);
    const ranged = await get(url('/gen/1000/head.bin'), { range: 'bytes=-10' }, 'HEAD');
    expect(ranged.status).toBe(206);
    expect(ranged.headers['content-length']).toBe('10');
    expect(ranged.body.length).toBe(0);
  });

  it('answers 404 for unknown paths and unparsable sizes, 405 for other methods; / is an index', async () => {
    expect((await get(url('/'))).status).toBe(200);
    for (const p of ['/nope', '/gen/', '/gen/12X/a.bin', '/gen/1.5M/a.bin', '/gen/16K/', '/gen/16K']) {
      expect((await get(url(p))).status, p).toBe(404);
    }
    const post = await request(url('/gen/10/a'), { method: 'POST', body: 'x' });
    await post.body.dump();
    expect(post.statusCode).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
  });

  it('streams a 64 MiB body complete', async () => {
    const r = await request(url('/gen/64M/big.bin'));
    expect(r.statusCode).toBe(200);
    let n = 0;
    for await (const chunk of r.body) n += (chunk as Buffer).length;
    expect(n).toBe(64 * MiB);
  });
});

describe('createServer: root directory', () => {
  let server: RunningServer;
  let base: string;
  const content = Buffer.from('hello from the root directory\n'.repeat(1000));
  beforeAll(async () => {
    base = await tmpDir();
    await fs.mkdir(path.join(base, 'www', 'sub'), { recursive: true });
    await fs.writeFile(path.join(base, 'www', 'hello.txt'), content);
    await fs.writeFile(path.join(base, 'www', 'sub', 'with space.bin'), 'spaced');
    await fs.writeFile(path.join(base, 'secret'), 'do not serve');
    server = await createServer({ root: path.join(base, 'www') });
  });
  afterAll(async () => {
    await server.close();
    await fs.rm(base, { recursive: true, force: true });
  });

  it('serves a file with validators, ranges, If-Range and HEAD', async () => {
    const url = `${server.url}hello.txt`;
    const st = await fs.stat(path.join(base, 'www', 'hello.txt'));
    const r = await get(url);
    expect(r.status).toBe(200);
    expect(r.body.equals(content)).toBe(true);
    expect(r.headers['content-length']).toBe(String(content.length));
    expect(r.headers['content-type']).toBe('application/octet-stream');
    expect(r.headers['last-modified']).toBe(st.mtime.toUTCString());
    expect(r.headers.etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    const part = await get(url, { range: 'bytes=10-19', 'if-range': String(r.headers.etag) });
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 10-19/${content.length}`);
    expect(part.body.equals(content.subarray(10, 20))).toBe(true);
    const tail = await get(url, { range: 'bytes=-7' });
    expect(tail.body.equals(content.subarray(content.length - 7))).toBe(true);
    const from = await get(url, { range: 'bytes=29000-' });
    expect(from.body.equals(content.subarray(29_000))).toBe(true);
    const stale = await get(url, { range: 'bytes=10-19', 'if-range': '"0-0"' });
    expect(stale.status).toBe(200);
    expect(stale.body.length).toBe(content.length);
    const bad = await get(url, { range: `bytes=${content.length}-` });
    expect(bad.status).toBe(416);
    expect(bad.headers['content-range']).toBe(`bytes */${content.length}`);
    const head = await get(url, {}, 'HEAD');
    expect(head.headers['content-length']).toBe(String(content.length));
    expect(head.body.length).toBe(0);
  });

  it('decodes percent-escapes in file names', async () => {
    const r = await get(`${server.url}sub/with%20space.bin`);
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe('spaced');
  });

  it('answers 404 for missing files, directories and /gen/ paths', async () => {
    for (const p of ['/missing.txt', '/sub', '/sub/', '/', '/gen/10/a.bin']) {
      expect((await rawGet(server.url, p)).status, p).toBe(404);
    }
  });

  it('never serves a file outside the root', async () => {
    for (const p of [
      '/../secret',
      '/sub/../../secret',
      '/%2e%2e/secret',
      '/%2E%2E/secret',
      '/..%2fsecret',
      '/sub/..%2f..%2fsecret',
      '/%2e%2e%2fsecret',
      `/${encodeURIComponent(path.join(base, 'secret'))}`,
      '/hello.txt%00',
      '/%zz',
    ]) {
      const r = await rawGet(server.url, p);
      expect(r.status, p).toBe(404);
      expect(r.body.toString(), p).not.toContain('do not serve');
    }
    // A `..` that stays inside the root is fine.
    expect((await rawGet(server.url, '/sub/../hello.txt')).status).toBe(200);
  });

  it('refuses a root that is not a directory', async () => {
    await expect(createServer({ root: path.join(base, 'secret') })).rejects.toThrow(/^root: /);
  });
});

describe('createServer: options and shutdown', () => {
  it('delays response headers by latencyMs', async () => {
    const server = await createServer({ latencyMs: 150 });
    try {
      const t0 = performance.now();
      const r = await get(`${server.url}gen/10/slow.bin`);
      expect(r.status).toBe(200);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
    } finally {
      await server.close();
    }
  });

  it('closes at once even with a keep-alive client connected', async () => {
    const server = await createServer({});
    const agent = new Agent({ keepAliveTimeout: 60_000 });
    try {
      const r = await request(`${server.url}gen/10/ka.bin`, { dispatcher: agent });
      await r.body.dump();
      const t0 = performance.now();
      await server.close();
      expect(performance.now() - t0).toBeLessThan(1000);
    } finally {
      await agent.close();
    }
  });

  it('stops mid-body without hanging when closed during a big download', async () => {
    const server = await createServer({});
    const r = await request(`${server.url}gen/1G/huge.bin`);
    const reading = (async () => {
      for await (const _ of r.body) {
        // drain
      }
    })();
    const t0 = performance.now();
    await server.close();
    await expect(reading).rejects.toThrow();
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('rejects bad options by name', async () => {
    await expect(createServer({ latencyMs: -1 })).rejects.toThrow(/^latencyMs: /);
    await expect(createServer({ port: 70000 })).rejects.toThrow(/^port: /);
  });
});
