import { afterEach, describe, expect, it } from 'vitest';
import { download } from '../../src/download.js';
import { virtualClock } from '../helpers/clock.js';
import { startServer, type TestServer } from '../helpers/http.js';
import { engine, FAST_RETRY, MODES, tmpDir } from '../helpers/tmp.js';

let servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

/** A server that notes when each request arrived; `answer` may refuse one. */
async function timed(
  answer?: (n: number) => number,
  now: () => number = () => performance.now(),
  retryAfter = '1',
): Promise<{ s: TestServer; at: number[] }> {
  const at: number[] = [];
  const s = await startServer((_req, res) => {
    at.push(now());
    const status = answer?.(at.length) ?? 200;
    if (status === 429)
      return void res.writeHead(429, { 'retry-after': retryAfter, 'content-length': '0' }).end();
    res.writeHead(200, { 'content-length': '2' }).end('ok');
  });
  servers.push(s);
  return { s, at };
}

describe.each(MODES)('%s mode', (mode) => {
  it('--host-rate spaces the requests to a host (in threads, across the workers)', async () => {
    const { s, at } = await timed();
    const dir = await tmpDir();
    const summary = await download({
      ...engine(mode),
      entries: Array.from({ length: 6 }, (_, i) => `${s.url}/f${i}.bin`),
      dir,
      concurrency: 6,
      hostRate: 10,
    });
    expect(summary.downloaded).toBe(6);
    // 6 requests at 10 per second: 5 gaps of 100 ms, whichever workers send them.
    // Measured where they arrive, so the first one's connection set-up shortens the span: a wide margin
    // (without the gate all six arrive within a few milliseconds).
    const span = at.at(-1)! - at[0]!;
    expect(span).toBeGreaterThanOrEqual(350);
  });

  it('--host-rate is each host’s rate for the whole run: one download at a time on 3 threads goes at the full rate', async () => {
    const { s, at } = await timed();
    const dir = await tmpDir();
    const summary = await download({
      mode,
      workers: 3,
      entries: Array.from({ length: 4 }, (_, i) => `${s.url}/f${i}.bin`),
      dir,
      concurrency: 1,
      hostRate: 5,
    });
    expect(summary.downloaded).toBe(4);
    // 3 gaps of 200 ms; at a third of the rate (one thread's share) they would be 600 ms each.
    const span = at.at(-1)! - at[0]!;
    expect(span).toBeGreaterThanOrEqual(500);
    expect(span).toBeLessThan(1300);
  });

  it('a 429 with Retry-After keeps the other downloads off that host until then', async () => {
    // On a virtual clock in both engines (the arrivals noted on it too): nothing waits the second for real.
    const clock = virtualClock();
    const { s, at } = await timed((n) => (n === 1 ? 429 : 200), clock.now);
    const dir = await tmpDir();
    const summary = await download(
      {
        ...(mode === 'threads' ? { mode, workers: 1 } : { mode }),
        entries: [`${s.url}/a.bin`, `${s.url}/b.bin`, `${s.url}/c.bin`],
        dir,
        concurrency: 1,
        hostRate: 100,
        retry: FAST_RETRY,
      },
      undefined,
      clock,
    );
    expect(summary.downloaded).toBe(3);
    // a.bin got the 429; its slot was lent out while it waited, but b.bin did not go before the second passed.
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(1000);
    // The gate held b.bin itself (a turn of 1000 ms), not only a.bin's own retry delay.
    expect(clock.slept.slice(0, 2)).toEqual([1000, 1000]);
  });

  it('a Retry-After past what a timer holds rests the host for the longest Retry-After, not 1 ms', async () => {
    // 99999999 s would overflow Node's timer into 1 ms and send the next request at once. The download told to
    // wait that long gives up (over retry.maxRetryAfterMs); the others rest that long, then go.
    const clock = virtualClock();
    const { s, at } = await timed((n) => (n === 1 ? 429 : 200), clock.now, '99999999');
    const dir = await tmpDir();
    const summary = await download(
      {
        ...(mode === 'threads' ? { mode, workers: 1 } : { mode }),
        entries: [`${s.url}/a.bin`, `${s.url}/b.bin`, `${s.url}/c.bin`],
        dir,
        concurrency: 1,
        hostRate: 2,
        retry: { ...FAST_RETRY, maxRetryAfterMs: 1500 },
      },
      undefined,
      clock,
    );
    expect(summary.downloaded).toBe(2);
    expect(summary.results.find((r) => r.url.endsWith('/a.bin'))?.error?.code).toBe('ERR_DL_HTTP_STATUS');
    expect(at).toHaveLength(3);
    // (On the virtual clock b.bin's own turn is what it slept: the clock runs on to c.bin's turn meanwhile.)
    expect(clock.slept[0]).toBe(1500);
  });

  it('a 429 with Retry-After also holds the requests that had booked their turn before it', async () => {
    // Real timers in both modes: on the virtual clock an arrival can be stamped after the clock ran ahead.
    const { s, at } = await timed((n) => (n === 1 ? 429 : 200), undefined, '2');
    const dir = await tmpDir();
    const summary = await download({
      ...(mode === 'threads' ? { mode, workers: 1 } : { mode }),
      entries: [`${s.url}/a.bin`, `${s.url}/b.bin`, `${s.url}/c.bin`],
      dir,
      concurrency: 3,
      // b.bin and c.bin book 500 and 1000 ms ahead, before a.bin's 429 comes back (it has 500 ms to, on a
      // loaded machine: a first request of a fresh worker thread was seen to take over 100 ms).
      hostRate: 2,
      retry: FAST_RETRY,
    });
    expect(summary.downloaded).toBe(3);
    expect(at).toHaveLength(4);
    // Nothing reached the host in the two seconds after the 429 (Retry-After: 2), b.bin's booked turn included.
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(1950);
  });
});
