import fs from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { download } from '../../src/download.js';
import { mulberry32 } from '../../src/server/faults.js';
import { synthBytes } from '../../src/server/synth.js';
import { startServer } from '../helpers/http.js';
import { engine, FAST_RETRY, listFiles, MODES, tmpDir } from '../helpers/tmp.js';

type Fault = 'busy' | 'ratelimit' | 'cut' | 'stall' | 'reset' | 'short' | undefined;

/**
 * A file server that misbehaves for real, seeded: 503 and 429 with Retry-After, bodies cut by a reset,
 * stalls past the client's idle timeout, connections reset before any header, and a Content-Length longer
 * than the body it sends (then a clean close). Range + If-Range work, so resumes are exercised too.
 */
function faultyServer(seed: number, sizeOf: (p: string) => number) {
  const random = mulberry32(seed);
  const counts: Record<string, number> = {};
  const roll = (): Fault => {
    const x = random();
    if (x < 0.04) return 'busy';
    if (x < 0.07) return 'ratelimit';
    if (x < 0.13) return 'cut';
    if (x < 0.145) return 'stall';
    if (x < 0.18) return 'reset';
    if (x < 0.22) return 'short';
    return undefined;
  };
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const p = req.url!;
    const size = sizeOf(p);
    const fault = roll();
    if (fault) counts[fault] = (counts[fault] ?? 0) + 1;
    if (fault === 'reset') return void req.socket.destroy();
    if (fault === 'busy' || fault === 'ratelimit') {
      res.writeHead(fault === 'busy' ? 503 : 429, { 'retry-after': '1', 'content-length': '0' }).end();
      return;
    }
    const etag = `"${size}"`;
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range && req.headers['if-range'] === etag && Number(range[1]) < size) {
      start = Number(range[1]);
      res.writeHead(206, {
        etag,
        'content-length': String(size - start),
        'content-range': `bytes ${start}-${size - 1}/${size}`,
      });
    } else res.writeHead(200, { etag, 'content-length': String(size) });
    const data = synthBytes(p, start, size);
    const half = data.subarray(0, data.length >> 1);
    if (fault === 'cut') res.write(half, () => res.destroy());
    else if (fault === 'stall')
      res.write(half); // and never more: the client's idle timeout must fire
    else if (fault === 'short') res.write(half, () => res.socket?.end());
    else res.end(data);
  };
  return { handler, counts };
}

describe.each(MODES)('a 500-file list through a faulty server (%s mode)', (mode) => {
  it('every file ends byte-identical, truncated bodies never get final names, and retries are counted', async () => {
    const sizes = Array.from({ length: 500 }, (_, i) => 1 + ((i * 7919) % 120_000));
    const paths = sizes.map((n, i) => `/f${i}.bin`);
    const sizeOf = (p: string) => sizes[Number(/\d+/.exec(p)![0])]!;
    const f = faultyServer(mode === 'async' ? 1 : 2, sizeOf);
    const s = await startServer(f.handler);
    const dir = await tmpDir();
    let early: string[] = [];
    let retryEvents = 0;
    try {
      const summary = await download({
        ...engine(mode),
        entries: paths.map((p) => `${s.url}${p}`),
        dir,
        concurrency: 32,
        timeoutMs: 1000,
        retries: 12,
        retry: FAST_RETRY,
        onEvent: (e) => {
          if (e.type === 'retry') retryEvents++;
          // A file under its final name is complete at the moment it appears.
          if (e.type === 'result' && e.result.status === 'downloaded' && early.length < 50)
            early.push(e.result.path!);
        },
      });
      expect(summary.failed).toBe(0);
      expect(summary.downloaded).toBe(500);
      const faults = Object.values(f.counts).reduce((a, b) => a + b, 0);
      expect(Object.keys(f.counts).sort()).toEqual(['busy', 'cut', 'ratelimit', 'reset', 'short', 'stall']);
      // Every fault costs a retry, and the summary counts each retry made. (On a loaded machine a healthy
      // response can also miss the 1 s idle timeout, so more retries than faults is allowed.)
      expect(summary.retries).toBe(retryEvents);
      expect(summary.retries).toBeGreaterThanOrEqual(faults);
      expect(await listFiles(dir)).toEqual(paths.map((p) => p.slice(1)).sort());
      for (const [i, p] of paths.entries()) {
        const got = await fs.readFile(path.join(dir, p.slice(1)));
        expect(got.equals(synthBytes(p, 0, sizes[i]!)), p).toBe(true);
      }
      expect(summary.results.filter((r) => r.resumed).length).toBeGreaterThan(0);
      early = [];
    } finally {
      await s.close();
    }
  }, 60_000);
});
