import { createHash } from 'node:crypto';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { createServer, type ServeOptions } from '../../src/server/index.js';

async function withServer<T>(opts: ServeOptions, fn: (url: string) => Promise<T>): Promise<T> {
  const s = await createServer(opts);
  try {
    return await fn(s.url);
  } finally {
    await s.close();
  }
}

/** GET that reports the status, the time to headers, the body and whether the body was cut. */
async function timedGet(url: string) {
  const t0 = performance.now();
  const r = await request(url);
  const headersMs = performance.now() - t0;
  let body = Buffer.alloc(0);
  let cut = false;
  try {
    body = Buffer.from(await r.body.arrayBuffer());
  } catch {
    cut = true;
  }
  return { status: r.statusCode, headers: r.headers, headersMs, ms: performance.now() - t0, body, cut };
}

describe('dlpool serve knobs, measured at the client', () => {
  it('--latency holds back each response by about that long', async () => {
    await withServer({ latencyMs: 300 }, async (url) => {
      const r = await timedGet(`${url}gen/1K/a.bin`);
      expect(r.status).toBe(200);
      expect(r.headersMs).toBeGreaterThanOrEqual(290);
      expect(r.headersMs).toBeLessThan(1300);
    });
  });

  it('--rate paces a body at about that many bytes per second', async () => {
    await withServer({ rateBytesPerSec: 2 * 1024 * 1024 }, async (url) => {
      const r = await timedGet(`${url}gen/2M/a.bin`);
      expect(r.body.length).toBe(2 * 1024 * 1024);
      // 2 MiB at 2 MiB/s: about one second (the first slice goes out at once).
      expect(r.ms).toBeGreaterThan(850);
      expect(r.ms).toBeLessThan(2500);
    });
  });

  it('--fail-rate answers that share of requests 503 with Retry-After: 1, reproducibly by --seed', async () => {
    const run = () =>
      withServer({ failRate: 0.3, seed: 42 }, async (url) => {
        const statuses: number[] = [];
        for (let i = 0; i < 200; i++) {
          const r = await timedGet(`${url}gen/100/f${i}.bin`);
          if (r.status === 503) expect(r.headers['retry-after']).toBe('1');
          statuses.push(r.status);
        }
        return statuses;
      });
    const first = await run();
    const share = first.filter((s) => s === 503).length / first.length;
    expect(share).toBeGreaterThan(0.2);
    expect(share).toBeLessThan(0.4);
    expect(first.every((s) => s === 200 || s === 503)).toBe(true);
    expect(await run()).toEqual(first);
  });

  it('--drop-rate cuts that share of bodies half-way', async () => {
    await withServer({ dropRate: 0.5, seed: 3 }, async (url) => {
      let cut = 0;
      for (let i = 0; i < 100; i++) {
        const r = await timedGet(`${url}gen/64K/f${i}.bin`);
        expect(r.status).toBe(200);
        if (r.cut) cut++;
        else expect(r.body.length).toBe(64 * 1024);
      }
      expect(cut).toBeGreaterThan(35);
      expect(cut).toBeLessThan(65);
    });
  });

  it('/list/SPEC lists a workload and /sums/SPEC gives its sha256sum lines', async () => {
    await withServer({}, async (url) => {
      const list = (await timedGet(`${url}list/3x1K,2x70K`)).body.toString().trim().split('\n');
      expect(list).toHaveLength(5);
      const sums = (await timedGet(`${url}sums/3x1K,2x70K`)).body.toString().trim().split('\n');
      for (const [i, u] of list.entries()) {
        const body = (await timedGet(u)).body;
        expect(body.length).toBe(i < 3 ? 1024 : 70 * 1024);
        const name = u.slice(u.lastIndexOf('/') + 1);
        expect(sums[i]).toBe(`${createHash('sha256').update(body).digest('hex')}  ${name}`);
      }
      expect((await timedGet(`${url}list/0x1K`)).status).toBe(404);
      expect((await timedGet(`${url}list/bad`)).status).toBe(404);
    });
  });
});
