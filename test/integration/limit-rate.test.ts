import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { download } from '../../src/download.js';
import { startServer } from '../helpers/http.js';
import { engine, FAST_RETRY, MODES, tmpDir } from '../helpers/tmp.js';

const BODY = Buffer.alloc(1024 * 1024, 7);

describe.each(MODES)('--limit-rate with a server that closes idle connections (%s mode)', (mode) => {
  it('a body whose last bytes wait for the rate ends when they are paid for, not "other side closed"', async () => {
    // The server has handed the whole body to the kernel long before the limited client has read it, and closes
    // the connection as idle 100 ms later (as a keep-alive timeout does): the client reads the close with the
    // last bytes. Node's default is 5 s, Apache's 5 s; 100 ms makes it happen on every run.
    let requests = 0;
    const server = http.createServer((_req, res) => {
      requests++;
      res.writeHead(200, { 'content-length': String(BODY.length) });
      res.end(BODY);
    });
    server.keepAliveTimeout = 100;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/f.bin`;
    try {
      const dir = await tmpDir();
      const summary = await download({
        ...engine(mode),
        workers: 1,
        entries: [url],
        dir,
        limitRateBytes: 512 * 1024,
        retry: FAST_RETRY,
      });
      expect(summary.results[0]).toMatchObject({ status: 'downloaded', attempts: 1 });
      expect(requests).toBe(1);
      const got = await fs.readFile(path.join(dir, 'f.bin'));
      expect(createHash('sha256').update(got).digest('hex')).toBe(
        createHash('sha256').update(BODY).digest('hex'),
      );
      // And within the rate over the run.
      expect(BODY.length / (summary.elapsedMs / 1000)).toBeLessThanOrEqual(512 * 1024);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe.each(MODES)('--limit-rate is the run’s rate in total (%s mode)', (mode) => {
  const rate = 1024 * 1024;
  const body = Buffer.alloc(2 * rate, 3);
  const serve = () =>
    startServer((_req, res) => res.writeHead(200, { 'content-length': String(body.length) }).end(body));

  it('one file alone runs at the limit, not at a share of it (threads: whichever worker holds it)', async () => {
    const s = await serve();
    try {
      const dir = await tmpDir();
      const summary = await download({
        mode,
        workers: 2,
        entries: [`${s.url}/one.bin`],
        dir,
        limitRateBytes: rate,
      });
      const r = summary.results[0]!;
      expect(r.status).toBe('downloaded');
      expect((await fs.stat(path.join(dir, 'one.bin'))).size).toBe(body.length);
      // At or below the limit over the run; the file's own time (worker start-up left out) near 2 s, not 4 s.
      expect(body.length / (summary.elapsedMs / 1000)).toBeLessThanOrEqual(rate);
      expect(body.length / (r.ms / 1000)).toBeGreaterThan(0.7 * rate);
    } finally {
      await s.close();
    }
  });

  it('files on several workers at once share the limit', async () => {
    const s = await serve();
    try {
      const dir = await tmpDir();
      const summary = await download({
        mode,
        workers: 2,
        concurrency: 2,
        entries: [`${s.url}/a.bin`, `${s.url}/b.bin`],
        dir,
        limitRateBytes: 2 * rate,
      });
      expect(summary.downloaded).toBe(2);
      expect((2 * body.length) / (summary.elapsedMs / 1000)).toBeLessThanOrEqual(2 * rate);
      const slowest = Math.max(...summary.results.map((r) => r.ms));
      expect((2 * body.length) / (slowest / 1000)).toBeGreaterThan(0.7 * 2 * rate);
    } finally {
      await s.close();
    }
  });
});
