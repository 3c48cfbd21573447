import fs from 'node:fs';
import type { Dispatcher } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { createDispatcher, createTransport } from '../../../src/transport/undici/agent.js';
import { originOf } from '../../../src/transport/undici/h2-close.js';
import { normalizeOptions } from '../../../src/options.js';
import { type H2TestServer, startH2Server } from '../../helpers/h2.js';
import { startServer, TEST_CA_FILE } from '../../helpers/http.js';

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

/** One GET; `then` runs in the same turn as the response's end, before the promise settles. */
function get(d: Dispatcher, origin: string, path: string, reset: boolean, then?: () => void) {
  return new Promise<string>((resolve, reject) => {
    let body = '';
    d.dispatch(
      { origin, path, method: 'GET', ...(reset ? { reset: true } : {}) },
      {
        onConnect() {},
        onHeaders: () => true,
        onData: (chunk: Buffer) => {
          body += chunk.toString();
          return true;
        },
        onComplete: () => {
          then?.();
          resolve(body);
        },
        onError: reject,
      },
    );
  });
}

async function setUp(): Promise<{ s: H2TestServer; d: Dispatcher }> {
  const s = await startH2Server((req, res) => res.end(`${req.url} ${req.httpVersion}`));
  const d = createDispatcher(normalizeOptions({ http2: true }), fs.readFileSync(TEST_CA_FILE, 'utf8'));
  closers.push(
    () => s.close(),
    () => d.destroy(),
  );
  return { s, d };
}

describe('createDispatcher with http2: close after the response (H2Closer)', () => {
  it('closes the h2 connection after a response that asked for it; the next request opens a new one', async () => {
    const { s, d } = await setUp();
    expect(await get(d, s.url, '/a', true)).toBe('/a 2.0');
    await expect.poll(() => s.open).toBe(0);
    expect(await get(d, s.url, '/b', false)).toBe('/b 2.0');
    expect(await get(d, s.url, '/c', false)).toBe('/c 2.0');
    expect([s.sessions, s.open]).toEqual([2, 1]);
  });

  it('a request dispatched in the same turn as that end still succeeds (undici asserts no stream runs on a closing connection)', async () => {
    const { s, d } = await setUp();
    let next: Promise<string> | undefined;
    await get(d, s.url, '/first', true, () => {
      next = get(d, s.url, '/second', false);
    });
    expect(await next).toBe('/second 2.0');
  });
});

describe('createTransport: the HTTP version of each answer', () => {
  const get = async (t: ReturnType<typeof createTransport>, origin: string) => {
    const res = await t.request({ origin, path: '/v', headers: {}, signal: new AbortController().signal });
    await res.body.dump();
    return res.protocol;
  };

  it('is 2 from an origin whose connection negotiated h2 (--http2), 1.1 from an HTTP/1.1 server', async () => {
    const h2 = await startH2Server((_req, res) => res.end('x'));
    const h1 = await startServer((_req, res) => res.end('x'));
    const t = createTransport(normalizeOptions({ http2: true }), fs.readFileSync(TEST_CA_FILE, 'utf8'));
    closers.push(
      () => h2.close(),
      () => h1.close(),
      () => t.destroy(),
    );
    expect(await get(t, h2.url)).toBe('2');
    expect(await get(t, h1.url)).toBe('1.1');
  });
});

describe('originOf', () => {
  it('writes the origin as URL.origin does, an IPv6 address in brackets and a default port left out', () => {
    const o = (hostname: string, port: string, host?: string) =>
      originOf({ protocol: 'https:', hostname, port, ...(host === undefined ? {} : { host }) });
    expect(o('127.0.0.1', '8443', '127.0.0.1:8443')).toBe('https://127.0.0.1:8443');
    expect(o('::1', '8443')).toBe('https://[::1]:8443');
    expect(o('::1', '', '[::1]')).toBe('https://[::1]');
    expect(o('example.com', '443')).toBe('https://example.com');
  });
});
