import fs from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { download } from '../../src/download.js';
import { startServer } from '../helpers/http.js';
import { engine, listFiles, MODES, tmpDir } from '../helpers/tmp.js';

const body = (n: number, salt: number) =>
  Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + salt) % 251));

interface Version {
  body: Buffer;
  etag?: string | undefined;
  /** Cut the connection after this many bytes of a full (200) answer. */
  cutAt?: number | undefined;
}

/** A server for one version of data.bin; honours Range only with a matching If-Range. */
function handler(v: Version) {
  return (req: http.IncomingMessage, res: http.ServerResponse) => {
    const validators = v.etag ? { etag: v.etag } : {};
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range && v.etag && req.headers['if-range'] === v.etag) {
      const start = Number(range[1]);
      res.writeHead(206, {
        ...validators,
        'content-length': String(v.body.length - start),
        'content-range': `bytes ${start}-${v.body.length - 1}/${v.body.length}`,
      });
      res.end(v.body.subarray(start));
      return;
    }
    res.writeHead(200, { ...validators, 'content-length': String(v.body.length) });
    if (v.cutAt !== undefined) {
      res.write(v.body.subarray(0, v.cutAt), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    res.end(v.body);
  };
}

/** Run 1 against `first` (which cuts the body, no retries), then run 2 against `second`, same URL. */
async function twoRuns(mode: (typeof MODES)[number], first: Version, second: Version) {
  const dir = await tmpDir();
  let current = handler(first);
  const s = await startServer((req, res) => current(req, res));
  try {
    const url = `${s.url}/data.bin`;
    const r1 = await download({ ...engine(mode), entries: [url], dir, retries: 0 });
    expect(r1.failed).toBe(1);
    const afterFirst = await listFiles(dir);
    const saved = await fs.readFile(path.join(dir, 'data.bin.part.meta'), 'utf8').catch(() => undefined);
    current = handler(second);
    const seen = s.requests.length;
    const r2 = await download({ ...engine(mode), entries: [url], dir, retries: 0 });
    return { r2, dir, afterFirst, requests: s.requests.slice(seen), saved };
  } finally {
    await s.close();
  }
}

describe.each(MODES)('resume across runs (%s mode)', (mode) => {
  it.each([100_000, 1_000_000])(
    'a rerun continues a %i-byte .part with Range + If-Range and ends byte-identical',
    async (size) => {
      const v = { body: body(size, 7), etag: '"v1"' };
      const r = await twoRuns(mode, { ...v, cutAt: Math.floor(size / 3) }, v);
      expect(r.afterFirst).toEqual(['data.bin.part', 'data.bin.part.meta']);
      expect(JSON.parse(r.saved!)).toMatchObject({ v: 1, validator: '"v1"', total: size });
      expect(r.r2.downloaded).toBe(1);
      expect(r.r2.results[0]!.resumed).toBe(true);
      const h = r.requests[0]!.headers;
      expect(h.range).toMatch(/^bytes=\d+-$/);
      expect(Number(/\d+/.exec(h.range!)![0])).toBeGreaterThan(0);
      expect(h['if-range']).toBe('"v1"');
      expect((await fs.readFile(path.join(r.dir, 'data.bin'))).equals(v.body)).toBe(true);
      expect(await listFiles(r.dir)).toEqual(['data.bin']);
      // The rerun moved only what the first run had not: the file counts whole, the transfer does not.
      const from = Number(/\d+/.exec(h.range!)![0]);
      expect(r.r2.results[0]).toMatchObject({ bytes: size, transferred: size - from });
      expect(r.r2).toMatchObject({ bytes: size, transferred: size - from });
    },
  );

  it('restarts from zero when the file changed between runs (the server answers 200 to If-Range)', async () => {
    const old = { body: body(1_000_000, 7), etag: '"v1"', cutAt: 400_000 };
    const changed = { body: body(1_000_000, 99), etag: '"v2"' };
    const r = await twoRuns(mode, old, changed);
    expect(r.requests[0]!.headers['if-range']).toBe('"v1"');
    expect(r.r2.downloaded).toBe(1);
    expect(r.r2.results[0]!.resumed).toBe(false);
    // Fetched whole again: all of it was transferred by this run.
    expect(r.r2.results[0]!.transferred).toBe(1_000_000);
    // Not a splice of v1's first 400 KB and v2's rest: exactly v2.
    expect((await fs.readFile(path.join(r.dir, 'data.bin'))).equals(changed.body)).toBe(true);
  });

  it('without a validator a rerun does not resume: the .part is fetched again from zero', async () => {
    const v = { body: body(1_000_000, 5), cutAt: 300_000 };
    const r = await twoRuns(mode, v, { body: v.body });
    expect(r.afterFirst).toEqual(['data.bin.part']);
    expect(r.requests[0]!.headers.range).toBeUndefined();
    expect((await fs.readFile(path.join(r.dir, 'data.bin'))).equals(v.body)).toBe(true);
    expect(await listFiles(r.dir)).toEqual(['data.bin']);
  });

  it('does not resume a .part whose state names another URL', async () => {
    const v = { body: body(1_000_000, 3), etag: '"v1"', cutAt: 300_000 };
    const dir = await tmpDir();
    const s = await startServer(handler(v));
    try {
      await download({ ...engine(mode), entries: [`${s.url}/data.bin`], dir, retries: 0 });
      const meta = path.join(dir, 'data.bin.part.meta');
      await fs.writeFile(meta, (await fs.readFile(meta, 'utf8')).replace('/data.bin', '/other/data.bin'));
      const before = s.requests.length;
      const ok = { ...v, cutAt: undefined };
      const s2 = await startServer(handler(ok));
      try {
        const r = await download({ ...engine(mode), entries: [`${s2.url}/data.bin`], dir, retries: 0 });
        expect(r.downloaded).toBe(1);
        expect(s2.requests[0]!.headers.range).toBeUndefined();
        expect((await fs.readFile(path.join(dir, 'data.bin'))).equals(v.body)).toBe(true);
        expect(before).toBe(1);
      } finally {
        await s2.close();
      }
    } finally {
      await s.close();
    }
  });
});
