import fs from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { download } from '../../src/download.js';
import { startServer } from '../helpers/http.js';
import { collect, FAST_RETRY, listFiles, tmpDir, engine, MODES } from '../helpers/tmp.js';

const makeBody = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + 7) % 251));
let BODY = makeBody(200_000);
const ETAG = '"v1"';

/** Serves BODY with Range support; `cutFirst` cuts the first full response after that many bytes. */
function rangeHandler(opts: { cutFirstAt?: number; ignoreRange?: boolean }) {
  let cut = opts.cutFirstAt !== undefined;
  return (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range && !opts.ignoreRange && req.headers['if-range'] === ETAG) {
      const start = Number(range[1]);
      res.writeHead(206, {
        'content-length': String(BODY.length - start),
        'content-range': `bytes ${start}-${BODY.length - 1}/${BODY.length}`,
        etag: ETAG,
        'accept-ranges': 'bytes',
      });
      res.end(BODY.subarray(start));
      return;
    }
    res.writeHead(200, { 'content-length': String(BODY.length), etag: ETAG, 'accept-ranges': 'bytes' });
    if (cut) {
      cut = false;
      res.write(BODY.subarray(0, opts.cutFirstAt), () => {
        // Cut the connection mid-body, for real.
        setTimeout(() => res.socket?.destroy(), 20);
      });
      return;
    }
    res.end(BODY);
  };
}

// 200 KB bodies take the in-memory small-body path, 1.5 MB ones stream into NAME.part: both must resume.
describe.each(MODES)('%s mode', (mode) => {
  describe.each([200_000, 1_500_000])('resume (%i-byte body)', (size) => {
    beforeAll(() => {
      BODY = makeBody(size);
    });

    it('continues a body cut mid-way with Range and If-Range, and the file is exact', async () => {
      const s = await startServer(rangeHandler({ cutFirstAt: 65_536 }));
      try {
        const dir = await tmpDir();
        const { events, onEvent } = collect();
        const summary = await download({
          ...engine(mode),
          entries: [`${s.url}/data.bin`],
          dir,
          retry: FAST_RETRY,
          onEvent,
        });
        expect(summary.downloaded).toBe(1);
        expect(summary.results[0]).toMatchObject({ attempts: 2, resumed: true, bytes: BODY.length });
        expect(s.requests).toHaveLength(2);
        expect(s.requests[1]?.headers.range).toBe('bytes=65536-');
        expect(s.requests[1]?.headers['if-range']).toBe(ETAG);
        expect((await fs.readFile(path.join(dir, 'data.bin'))).equals(BODY)).toBe(true);
        expect(await listFiles(dir)).toEqual(['data.bin']);
        const retry = events.find((e) => e.type === 'retry');
        expect(retry).toMatchObject({ type: 'retry', attempt: 1, error: { code: 'ERR_DL_NETWORK' } });
      } finally {
        await s.close();
      }
    });

    it('starts over cleanly when the server answers a Range request with 200', async () => {
      const s = await startServer(rangeHandler({ cutFirstAt: Math.floor(size / 2), ignoreRange: true }));
      try {
        const dir = await tmpDir();
        const summary = await download({
          ...engine(mode),
          entries: [`${s.url}/data.bin`],
          dir,
          retry: FAST_RETRY,
        });
        expect(summary.downloaded).toBe(1);
        expect(summary.results[0]).toMatchObject({ attempts: 2, resumed: false });
        expect(s.requests[1]?.headers.range).toBe(`bytes=${Math.floor(size / 2)}-`);
        const got = await fs.readFile(path.join(dir, 'data.bin'));
        expect(got.length).toBe(BODY.length);
        expect(got.equals(BODY)).toBe(true);
      } finally {
        await s.close();
      }
    });

    it('never renames a body shorter than Content-Length, and keeps the .part when retries run out', async () => {
      const s = await startServer((_req, res) => {
        res.writeHead(200, { 'content-length': '1000' });
        res.write(Buffer.alloc(400, 1), () => setTimeout(() => res.socket?.destroy(), 20));
      });
      try {
        const dir = await tmpDir();
        const summary = await download({
          ...engine(mode),
          entries: [`${s.url}/short.bin`],
          dir,
          retries: 2,
          retry: FAST_RETRY,
        });
        expect(summary.failed).toBe(1);
        expect(summary.results[0]?.attempts).toBe(3);
        expect(summary.results[0]?.error?.code).toBe('ERR_DL_NETWORK');
        expect(await listFiles(dir)).toEqual(['short.bin.part']);
        expect((await fs.stat(path.join(dir, 'short.bin.part'))).size).toBe(400);
      } finally {
        await s.close();
      }
    });
  });
});
