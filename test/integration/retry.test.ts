import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { download } from '../../src/download.js';
import { virtualClock } from '../helpers/clock.js';
import { startMswServer, startServer } from '../helpers/http.js';
import { collect, FAST_RETRY, listFiles, tmpDir, engine, MODES } from '../helpers/tmp.js';

describe.each(MODES)('%s mode', (mode) => {
  describe('slots while waiting', () => {
    it('a download waiting out Retry-After does not hold its -j slot: the next one runs meanwhile', async () => {
      const order: string[] = [];
      let busy = true;
      const s = await startServer((req, res) => {
        order.push(req.url ?? '');
        if (req.url === '/a.bin' && busy) {
          busy = false;
          res.writeHead(503, { 'retry-after': '1', 'content-length': '4' }).end('busy');
          return;
        }
        res.writeHead(200, { 'content-length': '2' }).end('ok');
      });
      // The second is waited on a virtual clock, in both engines.
      const clock = virtualClock();
      try {
        const dir = await tmpDir();
        const summary = await download(
          {
            ...engine(mode),
            entries: [`${s.url}/a.bin`, `${s.url}/b.bin`],
            dir,
            concurrency: 1,
            retry: FAST_RETRY,
          },
          undefined,
          clock,
        );
        expect(summary.downloaded).toBe(2);
        // With its slot held, b.bin could only start after a.bin's retry: a, a, b.
        expect(order).toEqual(['/a.bin', '/b.bin', '/a.bin']);
        expect(clock.slept).toEqual([1000]);
      } finally {
        await s.close();
      }
    });
  });

  describe('a trickling server (--speed-limit, --speed-time, lowest-speed-limit=)', () => {
    // The floor's arithmetic and timing are unit-tested on fake timers (test/unit/fetch/speed-floor.test.ts);
    // these prove the wiring on a real socket, with a window short enough to wait for.
    /** 12 bytes: one with the headers (so the .part is never empty), then one every 50 ms: 20 bytes/s. */
    const trickle = () =>
      startServer((_req, res) => {
        res.writeHead(200, { 'content-length': '12', etag: '"t"' });
        res.write('x');
        let sent = 1;
        const timer = setInterval(() => {
          res.write('x');
          if (++sent === 12) {
            clearInterval(timer);
            res.end();
          }
        }, 50);
        res.on('close', () => clearInterval(timer));
      });

    it('abandons an attempt slower than the floor, keeping what arrived for the resume', async () => {
      const s = await trickle();
      try {
        const dir = await tmpDir();
        const summary = await download({
          ...engine(mode),
          entries: [`${s.url}/slow.bin`],
          dir,
          speedLimitBytes: 100,
          speedTimeMs: 200,
          retries: 0,
        });
        expect(summary.results[0]?.error?.code).toBe('ERR_DL_TIMEOUT');
        expect(summary.results[0]?.error?.message).toMatch(/slower than 100 bytes\/s for 0.2 s/);
        const part = await fs.readFile(path.join(dir, 'slow.bin.part'), 'utf8');
        expect(part).toMatch(/^x+$/);
      } finally {
        await s.close();
      }
    });

    it('lowest-speed-limit=0 in the list lifts the floor for that entry, as in aria2', async () => {
      const s = await trickle();
      try {
        const dir = await tmpDir();
        const list = path.join(dir, 'list.txt');
        await fs.writeFile(list, `${s.url}/slow.bin\n  lowest-speed-limit=0\n`);
        const summary = await download({
          ...engine(mode),
          sources: [list],
          dir: path.join(dir, 'out'),
          speedLimitBytes: 100,
          speedTimeMs: 200,
          retries: 0,
        });
        // (~550 ms of body: the floor would have ended it after its first 200 ms window.)
        expect(summary.results[0]?.status).toBe('downloaded');
        expect(await fs.readFile(path.join(dir, 'out', 'slow.bin'), 'utf8')).toBe('x'.repeat(12));
      } finally {
        await s.close();
      }
    });
  });

  describe('errors that recur every time are final', () => {
    it('a malformed answer is ERR_DL_PROTOCOL, tried once; an invalid header value is refused before any request', async () => {
      let connections = 0;
      // Raw TCP: a space in a header name, which no HTTP server would send.
      const raw = net.createServer((sock) => {
        connections++;
        sock.on('data', () => sock.end('HTTP/1.1 200 OK\r\nBad Header: x\r\nContent-Length: 2\r\n\r\nhi'));
      });
      await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
      try {
        const { port } = raw.address() as net.AddressInfo;
        const dir = await tmpDir();
        const bad = await download({
          ...engine(mode),
          entries: [`http://127.0.0.1:${port}/x.bin`],
          dir,
          retry: FAST_RETRY,
        });
        expect(bad.results[0]?.error?.code).toBe('ERR_DL_PROTOCOL');
        expect(bad.results[0]?.attempts).toBe(1);
        expect(connections).toBe(1);

        // A header value no request can carry is refused once, before any request (not once per URL).
        const header = download({
          ...engine(mode),
          entries: [`http://127.0.0.1:${port}/y.bin`],
          dir,
          headers: ['X-Bad: a\u0001b'],
          retry: FAST_RETRY,
        });
        await expect(header).rejects.toMatchObject({ code: 'ERR_DL_USAGE' });
        expect(connections).toBe(1);
      } finally {
        await new Promise((r) => raw.close(r));
      }
    });
  });

  describe('retries', () => {
    it('waits out 503 + Retry-After, then succeeds', async () => {
      let calls = 0;
      const s = await startMswServer([
        http.get('*/busy.txt', () => {
          calls++;
          if (calls === 1) return new HttpResponse('busy', { status: 503, headers: { 'retry-after': '1' } });
          return HttpResponse.text('finally');
        }),
      ]);
      try {
        const dir = await tmpDir();
        const { events, onEvent } = collect();
        const t0 = performance.now();
        const summary = await download({
          ...engine(mode),
          entries: [`${s.url}/busy.txt`],
          dir,
          retry: FAST_RETRY,
          onEvent,
        });
        const ms = performance.now() - t0;
        expect(summary.downloaded).toBe(1);
        expect(summary.results[0]?.attempts).toBe(2);
        expect(await fs.readFile(path.join(dir, 'busy.txt'), 'utf8')).toBe('finally');
        // Retry-After: 1 wins over the 10 ms backoff.
        expect(events.find((e) => e.type === 'retry')).toMatchObject({
          delayMs: 1000,
          error: { status: 503 },
        });
        expect(ms).toBeGreaterThanOrEqual(950);
      } finally {
        await s.close();
      }
    });

    it('an interrupt ends a wait for Retry-After at once (two minutes asked; no wait here)', async () => {
      const s = await startServer((_req, res) => {
        res.writeHead(503, { 'retry-after': '120', 'content-length': '0' }).end();
      });
      try {
        const dir = await tmpDir();
        const controller = new AbortController();
        const t0 = performance.now();
        const summary = await download({
          ...engine(mode),
          entries: [`${s.url}/busy.bin`],
          dir,
          retry: FAST_RETRY,
          signal: controller.signal,
          onEvent: (e) => {
            if (e.type === 'retry') controller.abort('SIGINT');
          },
        });
        expect(summary.results[0]?.error?.code).toBe('ERR_DL_ABORTED');
        expect(summary.interrupted).toBe('SIGINT');
        expect(s.requests).toHaveLength(1);
        // Far below the 120 s asked for (a wide margin for a loaded machine).
        expect(performance.now() - t0).toBeLessThan(15_000);
      } finally {
        await s.close();
      }
    });

    it('retries 429 and 500 but not 404', async () => {
      const counts: Record<string, number> = {};
      const s = await startMswServer([
        http.get('*/:name', ({ params }) => {
          const name = String(params['name']);
          counts[name] = (counts[name] ?? 0) + 1;
          if (name === 'missing') return new HttpResponse(null, { status: 404 });
          if (counts[name] === 1) return new HttpResponse(null, { status: name === 'limited' ? 429 : 500 });
          return HttpResponse.text(name);
        }),
      ]);
      try {
        const dir = await tmpDir();
        const entries = ['missing', 'limited', 'broken'].map((n) => `${s.url}/${n}`);
        const summary = await download({ ...engine(mode), entries, dir, retry: FAST_RETRY });
        expect(counts).toEqual({ missing: 1, limited: 2, broken: 2 });
        const missing = summary.results.find((r) => r.url.endsWith('/missing'));
        expect(missing?.error).toMatchObject({ code: 'ERR_DL_HTTP_STATUS', status: 404 });
        // Final at once: the message does not suggest retries that will never come.
        expect(missing?.error?.message).toBe(`404 Not Found: GET ${s.url}/missing (attempt 1, not retried)`);
        expect(await listFiles(dir)).toEqual(['broken', 'limited']);
      } finally {
        await s.close();
      }
    });

    it('abandons an attempt after --timeout without a byte, then fails with ERR_DL_TIMEOUT', async () => {
      const s = await startServer((_req, res) => {
        res.writeHead(200, { 'content-length': '100' });
        res.write('partial');
        // ...and never another byte.
      });
      try {
        const dir = await tmpDir();
        const summary = await download({
          ...engine(mode),
          entries: [`${s.url}/stall`],
          dir,
          // The headers come at once; the body never ends. (undici checks its idle timeouts on a ~0.5 s tick: each
          // attempt still takes about 1 s.)
          timeoutMs: 500,
          retries: 1,
          retry: FAST_RETRY,
        });
        expect(summary.failed).toBe(1);
        expect(summary.results[0]?.error).toMatchObject({ code: 'ERR_DL_TIMEOUT' });
        expect(summary.results[0]?.error?.message).toMatch(/body timeout/);
        expect(summary.results[0]?.attempts).toBe(2);
        expect(await listFiles(dir)).toEqual(['stall.part']);
      } finally {
        await s.close();
      }
    });

    it('times out a server that never sends headers', async () => {
      const s = await startServer(() => {});
      try {
        const dir = await tmpDir();
        const summary = await download({
          ...engine(mode),
          entries: [`${s.url}/silent`],
          dir,
          timeoutMs: 300, // nothing ever comes: a short timeout cannot be missed
          retries: 0,
        });
        expect(summary.results[0]?.error?.message).toMatch(/^headers timeout after 0.3 s: GET /);
        expect(await listFiles(dir)).toEqual([]);
      } finally {
        await s.close();
      }
    });
  });

  describe('informational answers', () => {
    it('an endless stream of 103 Early Hints does not hold a download: the headers get one deadline', async () => {
      // undici restarts its headers timeout at every 1xx, so on its own this waited for ever.
      const sockets = new Set<net.Socket>();
      const server = net.createServer((socket) => {
        sockets.add(socket);
        socket.on('error', () => {});
        const hint = () => {
          if (!socket.destroyed)
            socket.write('HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n');
        };
        const timer = setInterval(hint, 50);
        socket.on('close', () => {
          clearInterval(timer);
          sockets.delete(socket);
        });
        socket.once('data', hint);
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const { port } = server.address() as net.AddressInfo;
      // Bounded: a download still waiting after 20 s is stopped, and ends as ERR_DL_ABORTED, not a timeout.
      const guard = AbortSignal.timeout(20_000);
      try {
        const dir = await tmpDir();
        const summary = await download({
          ...engine(mode),
          entries: [`http://127.0.0.1:${port}/hints`],
          dir,
          timeoutMs: 300,
          retries: 0,
          signal: guard,
        });
        expect(summary.results[0]?.error?.code).toBe('ERR_DL_TIMEOUT');
        expect(summary.results[0]?.error?.message).toMatch(/^headers timeout after 0.3 s: GET /);
        expect(await listFiles(dir)).toEqual([]);
      } finally {
        for (const socket of sockets) socket.destroy();
        await new Promise((r) => server.close(r));
      }
    });
  });

  describe('redirects', () => {
    it('follows redirects, names the file after the URL asked for, and enforces the limit', async () => {
      const s = await startMswServer([
        http.get('*/hop/:n', ({ params, request }) => {
          const n = Number(params['n']);
          if (n === 0) return HttpResponse.text('landed');
          return new HttpResponse(null, {
            status: 302,
            headers: { location: new URL(`/hop/${n - 1}`, request.url).href },
          });
        }),
      ]);
      try {
        const dir = await tmpDir();
        const ok = await download({ ...engine(mode), entries: [`${s.url}/hop/3`], dir, maxRedirects: 3 });
        expect(ok.downloaded).toBe(1);
        expect(await fs.readFile(path.join(dir, '3'), 'utf8')).toBe('landed');
        const dir2 = await tmpDir();
        const tooMany = await download({
          ...engine(mode),
          entries: [`${s.url}/hop/4`],
          dir: dir2,
          maxRedirects: 3,
        });
        expect(tooMany.results[0]?.error?.code).toBe('ERR_DL_TOO_MANY_REDIRECTS');
        expect(await listFiles(dir2)).toEqual([]);
      } finally {
        await s.close();
      }
    });

    it('drops Authorization on a redirect to another origin', async () => {
      const target = await startServer((_req, res) => res.end('t'));
      const origin = await startServer((_req, res) => {
        res.writeHead(302, { location: `${target.url}/t` }).end();
      });
      try {
        const dir = await tmpDir();
        await download({
          ...engine(mode),
          entries: [`${origin.url}/start`],
          dir,
          headers: ['Authorization: Bearer secret'],
        });
        expect(origin.requests[0]?.headers.authorization).toBe('Bearer secret');
        expect(target.requests[0]?.headers.authorization).toBeUndefined();
      } finally {
        await origin.close();
        await target.close();
      }
    });
  });
});
