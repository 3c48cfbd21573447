import fs from 'node:fs/promises';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { download } from '../../src/download.js';
import { ThreadsEngine } from '../../src/engine/threads.js';
import type { FileResult } from '../../src/events.js';
import { startServer } from '../helpers/http.js';
import { collect, FAST_RETRY, listFiles, tmpDir } from '../helpers/tmp.js';

const body = (name: string, n = 300_000) => Buffer.alloc(n, name.charCodeAt(name.length - 1));

describe('threads mode', () => {
  it('hands out jobs dynamically: a stalled file on one worker does not hold back the rest', async () => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    // The other files are answered once `stall` is in flight: on a loaded machine the worker given `stall` can
    // start so late that the other one fetched all 20 first (and nothing was held back by anything).
    let arrived!: () => void;
    const stallArrived = new Promise<void>((r) => (arrived = r));
    const s = await startServer((req, res) => {
      const name = req.url!.slice(1);
      res.writeHead(200, { 'content-length': '300000' });
      if (name === 'stall') {
        arrived();
        res.write(body(name).subarray(0, 1000));
        void released.then(() => res.end(body(name).subarray(1000)));
      } else void stallArrived.then(() => res.end(body(name)));
    });
    const dir = await tmpDir();
    const order: string[] = [];
    const workers = new Set<Worker>();
    const used = new Set<Worker>();
    const names = ['stall', ...Array.from({ length: 20 }, (_, i) => `f${i}`)];
    const timer = setTimeout(release, 10_000);
    try {
      const summary = await download(
        {
          mode: 'threads',
          workers: 2,
          concurrency: 2,
          dir,
          entries: names.map((n) => `${s.url}/${n}`),
          onEvent: (e) => {
            if (e.type !== 'result') return;
            order.push(e.result.path!);
            // The 20 other files all finish while `stall` is still waiting for the rest of its body.
            if (order.length === 20) release();
          },
        },
        new ThreadsEngine({
          onWorker: (w) => workers.add(w),
          onDispatch: (w) => used.add(w),
        }),
      );
      expect(summary.downloaded).toBe(21);
      expect(order.at(-1)).toBe('stall');
      expect(order.slice(0, 20).sort()).toEqual(names.slice(1).sort());
      expect(workers.size).toBe(2);
      expect(used.size).toBe(2);
      for (const n of names) expect((await fs.readFile(path.join(dir, n))).equals(body(n))).toBe(true);
      expect(s.maxInFlight).toBe(2);
    } finally {
      clearTimeout(timer);
      await s.close();
    }
  });

  /** A run where the worker holding `victim` is terminated when the server is half-way through its body. */
  async function crashRun(killEveryTime: boolean) {
    let victimRequests = 0;
    const holder = new Map<string, Worker>();
    const s = await startServer((req, res) => {
      const name = req.url!.slice(1);
      res.writeHead(200, { 'content-length': '300000' });
      if (name === 'victim' && (killEveryTime || victimRequests === 0)) {
        victimRequests++;
        res.write(body(name).subarray(0, 150_000), () => {
          void holder.get('victim')?.terminate();
        });
        return;
      }
      if (name === 'victim') victimRequests++;
      // Other files trickle so they are in flight on the other worker when the victim's worker dies.
      res.write(body(name).subarray(0, 100_000));
      setTimeout(() => res.end(body(name).subarray(100_000)), 150);
    });
    const dir = await tmpDir();
    const { events, onEvent } = collect();
    const workers: Worker[] = [];
    try {
      const names = ['victim', 'a', 'b', 'c', 'd', 'e', 'f'];
      const summary = await download(
        {
          mode: 'threads',
          workers: 2,
          // Two slots on two workers: the victim is alone on its worker, another file is in flight beside it.
          concurrency: 2,
          dir,
          retry: FAST_RETRY,
          entries: names.map((n) => `${s.url}/${n}`),
          onEvent,
        },
        new ThreadsEngine({
          onWorker: (w) => workers.push(w),
          onDispatch: (w, job) => holder.set(job.url.pathname.slice(1), w),
        }),
      );
      const results = events.flatMap((e) => (e.type === 'result' ? [e.result] : []));
      const byName = new Map<string, FileResult>(results.map((r) => [r.path!, r]));
      return { summary, byName, events, dir, workers, victimRequests, names };
    } finally {
      await s.close();
    }
  }

  it('a worker that dies fails only its in-flight downloads, which run again on another worker', async () => {
    const r = await crashRun(false);
    expect(r.summary.downloaded).toBe(7);
    expect(r.summary.failed).toBe(0);
    expect(r.victimRequests).toBe(2);
    // Two workers, plus the replacement for the one that died.
    expect(r.workers.length).toBe(3);
    const retries = r.events.flatMap((e) => (e.type === 'retry' ? [e] : []));
    expect(retries.map((e) => [e.url.split('/').pop(), e.error.code])).toEqual([['victim', 'ERR_DL_WORKER']]);
    expect(r.byName.get('a')?.attempts).toBe(1);
    for (const n of r.names) {
      expect((await fs.readFile(path.join(r.dir, n))).equals(body(n)), n).toBe(true);
    }
    expect(await listFiles(r.dir)).toEqual([...r.names].sort());
  });

  it('a download whose worker dies twice fails with ERR_DL_WORKER; the rest still complete', async () => {
    const r = await crashRun(true);
    expect(r.victimRequests).toBe(2);
    expect(r.summary.failed).toBe(1);
    expect(r.byName.get('victim')?.error?.code).toBe('ERR_DL_WORKER');
    expect(r.summary.downloaded).toBe(6);
    for (const n of r.names.filter((x) => x !== 'victim')) {
      expect((await fs.readFile(path.join(r.dir, n))).equals(body(n)), n).toBe(true);
    }
    // Nothing under the final name for the failed one; its partial data may stay as .part.
    expect(await listFiles(r.dir)).not.toContain('victim');
  });

  it('sends progress to the main thread throttled, not once per chunk', async () => {
    const CHUNK = 64 * 1024;
    const CHUNKS = 64;
    const s = await startServer((_req, res) => {
      res.writeHead(200, { 'content-length': String(CHUNK * CHUNKS) });
      let i = 0;
      const tick = setInterval(() => {
        res.write(Buffer.alloc(CHUNK, i % 251));
        if (++i === CHUNKS) {
          clearInterval(tick);
          res.end();
        }
      }, 15);
    });
    const dir = await tmpDir();
    let messages = 0;
    const { events, onEvent } = collect();
    try {
      const t0 = performance.now();
      const summary = await download(
        {
          mode: 'threads',
          workers: 1,
          dir,
          entries: [`${s.url}/slow.bin`],
          onEvent,
          progressIntervalMs: 100,
        },
        new ThreadsEngine({
          onWorker: (w) =>
            w.on('message', (m: { type: string }) => {
              if (m.type === 'events') messages++;
            }),
        }),
      );
      const ms = performance.now() - t0;
      expect(summary.downloaded).toBe(1);
      const progress = events.filter((e) => e.type === 'progress');
      // ~1 s of body in 64 chunks: per-chunk messages would be ~64; throttled, about one per 100 ms.
      expect(progress.length).toBeGreaterThanOrEqual(3);
      expect(messages).toBeLessThanOrEqual(Math.ceil(ms / 100) + 3);
      expect(messages).toBeLessThan(CHUNKS / 2);
    } finally {
      await s.close();
    }
  });
});
