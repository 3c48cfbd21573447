import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { toDownloadOptions } from '../../src/cli/get.js';
import { download } from '../../src/index.js';
import { ResponseBody } from '../../src/transport/response-body.js';
import { startServer, type TestServer } from '../helpers/http.js';
import { collect, engine, FAST_RETRY, listFiles, MODES, tmpDir } from '../helpers/tmp.js';

const MiB = 1024 * 1024;
let server: TestServer;
/** Bytes the server managed to write per path before the client went away. */
const sent = new Map<string, number>();

beforeAll(async () => {
  server = await startServer((req, res) => {
    const size = Number(/\/(\d+)/.exec(req.url ?? '')?.[1] ?? 0);
    const chunked = req.url?.includes('chunked');
    res.writeHead(200, chunked ? {} : { 'content-length': size, etag: '"v1"' });
    let left = size;
    const key = req.url ?? '';
    sent.set(key, 0);
    // 64 KiB at a time, paced, so a client that stops early is seen to stop early.
    const pump = () => {
      if (left === 0 || res.destroyed) return void res.end();
      const n = Math.min(64 * 1024, left);
      left -= n;
      sent.set(key, (sent.get(key) ?? 0) + n);
      res.write(Buffer.alloc(n, 7), () => setTimeout(pump, 2));
    };
    pump();
  });
});
afterAll(() => server.close());

describe.each(MODES)('%s mode', (mode) => {
  it('--max-size stops a download as soon as Content-Length or the bytes received pass it', async () => {
    const dir = await tmpDir();
    const summary = await download({
      ...engine(mode),
      entries: [
        `${server.url}/${4 * MiB}/announced.bin`,
        `${server.url}/${64 * MiB}/chunked.bin`,
        `${server.url}/${MiB}/fits.bin`,
      ],
      dir,
      maxSizeBytes: MiB,
      retry: FAST_RETRY,
    });
    const by = new Map(summary.results.map((r) => [r.path, r]));
    expect(by.get('fits.bin')?.status).toBe('downloaded');
    for (const name of ['announced.bin', 'chunked.bin']) {
      const r = by.get(name);
      expect(r?.status, name).toBe('failed');
      expect(r?.error?.code, name).toBe('ERR_DL_TOO_LARGE');
      expect(r?.attempts, `${name}: not retried`).toBe(1);
    }
    expect(by.get('announced.bin')?.error?.message).toMatch(
      /Content-Length 4194304 is over the --max-size limit of 1048576 bytes/,
    );
    expect(by.get('chunked.bin')?.error?.message).toMatch(
      /the body \(\d+ bytes so far\) is over the --max-size limit/,
    );
    // Nothing kept of the refused files, not even a .part.
    expect(await listFiles(dir)).toEqual(['fits.bin']);
    // The chunked body was abandoned early, not read to the end. The server writes 64 KiB at a time as the
    // socket takes them, so a client that stops reading holds it to what the loopback buffers take (a few MiB,
    // also when a loaded machine keeps the client from reading for a while: a 4 MiB body fit in them).
    expect(sent.get(`/${64 * MiB}/chunked.bin`)).toBeLessThan(16 * MiB);
  });
});

describe.each(MODES)('%s mode, a small body refused unread', (mode) => {
  it('destroys a body that arrived with its headers without crashing the run', async () => {
    // In async mode the bodies live in this process: every 'error' one emits with no listener (an uncaught
    // exception) is recorded, and the test waits for each body's last event ('close', or that 'error') before
    // judging: no stray error can come after it, however late it would have come.
    const bodies = new Map<ResponseBody, Promise<void>>();
    const closed = new WeakMap<ResponseBody, () => void>();
    const unheard: string[] = [];
    const track = (body: ResponseBody) => {
      if (!bodies.has(body)) bodies.set(body, new Promise<void>((r) => closed.set(body, r)));
    };
    const { emit, push } = ResponseBody.prototype;
    const spies = [
      vi.spyOn(ResponseBody.prototype, 'push').mockImplementation(function (this: ResponseBody, chunk) {
        track(this);
        return push.call(this, chunk);
      }),
      vi.spyOn(ResponseBody.prototype, 'emit').mockImplementation(function (
        this: ResponseBody,
        event,
        ...args: unknown[]
      ) {
        track(this);
        // An unheard 'error' throws in emit(), and no 'close' follows it.
        const stray = event === 'error' && this.listenerCount('error') === 0;
        if (stray) unheard.push(String(args[0]));
        if (stray || event === 'close') closed.get(this)!();
        return emit.call(this, event, ...args);
      }),
    ];
    const { events, onEvent } = collect();
    try {
      const dir = await tmpDir();
      const summary = await download({
        ...engine(mode),
        entries: [`${server.url}/${20 * 1024}/small.bin`, `${server.url}/500/tiny.bin`],
        dir,
        maxSizeBytes: 1024,
        onEvent,
      });
      expect(summary.results.map((r) => [r.path, r.status, r.error?.code, r.attempts])).toEqual(
        expect.arrayContaining([
          ['small.bin', 'failed', 'ERR_DL_TOO_LARGE', 1],
          ['tiny.bin', 'downloaded', undefined, 1],
        ]),
      );
      // Threads mode: an uncaught error kills the worker, and the download is run again ('retry').
      expect(events.filter((e) => e.type === 'retry')).toEqual([]);
      if (mode === 'async') {
        expect(bodies.size, 'both bodies seen').toBe(2);
        await Promise.all(bodies.values());
      }
      expect(unheard).toEqual([]);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });
});

describe('--max-size flag', () => {
  it('takes sizes with K/M/G suffixes and refuses anything else, naming the flag', () => {
    expect(toDownloadOptions({ sources: ['x'], 'max-size': '500K' }).maxSizeBytes).toBe(500 * 1024);
    expect(toDownloadOptions({ sources: ['x'], 'max-size': '2G' }).maxSizeBytes).toBe(2 * 1024 ** 3);
    expect(() => toDownloadOptions({ sources: ['x'], 'max-size': '10X' })).toThrow(
      /^--max-size: expected bytes/,
    );
    expect(() => toDownloadOptions({ sources: ['x'], 'max-size': '0' })).toThrow(/^--max-size/);
  });
  it('the library option is checked by normalizeOptions', async () => {
    await expect(
      download({ entries: [], dir: path.join(await tmpDir(), 'x'), maxSizeBytes: -1 }),
    ).rejects.toThrow(/^maxSizeBytes: expected a whole number/);
  });
});
