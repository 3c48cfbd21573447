import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { getResponse, type RequestHandler } from 'msw';

export interface SeenRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
}

export interface TestServer {
  url: string;
  /** Every request the server saw, in arrival order. */
  requests: SeenRequest[];
  /** Most requests in flight at one time (measured at the server). */
  maxInFlight: number;
  close(): Promise<void>;
}

/** The self-signed certificate (127.0.0.1, localhost) of the HTTPS test servers: pass as `caCertificate`. */
export const TEST_CA_FILE = fileURLToPath(new URL('../fixtures/tls/cert.pem', import.meta.url));
const TEST_KEY_FILE = fileURLToPath(new URL('../fixtures/tls/key.pem', import.meta.url));

/**
 * A real node:http server on 127.0.0.1, port 0, for handlers that must misbehave at the socket level;
 * with `tls: true` a node:https server with the test certificate (trusted through TEST_CA_FILE).
 */
export async function startServer(
  handler: http.RequestListener,
  { tls = false }: { tls?: boolean } = {},
): Promise<TestServer> {
  const requests: SeenRequest[] = [];
  let inFlight = 0;
  const state = { maxInFlight: 0 };
  const listener: http.RequestListener = (req, res) => {
    requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers });
    inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, inFlight);
    let counted = true;
    const done = () => {
      if (counted) inFlight--;
      counted = false;
    };
    res.on('close', done);
    handler(req, res);
  };
  const server = tls
    ? https.createServer(
        { key: fs.readFileSync(TEST_KEY_FILE), cert: fs.readFileSync(TEST_CA_FILE) },
        listener,
      )
    : http.createServer(listener);
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests,
    get maxInFlight() {
      return state.maxInFlight;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * msw handlers served from a real loopback server: msw cannot intercept undici (mswjs/msw#2165), so the
 * request crosses a real socket and msw's getResponse() answers it.
 */
export function startMswServer(handlers: RequestHandler[]): Promise<TestServer> {
  return startServer(async (req, res) => {
    try {
      const url = `http://${req.headers.host ?? '127.0.0.1'}${req.url ?? '/'}`;
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) {
        if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
      }
      const request = new Request(url, { method: req.method ?? 'GET', headers });
      const response = await getResponse(handlers, request);
      if (!response) {
        res.writeHead(404).end('no msw handler');
        return;
      }
      const out: Record<string, string> = {};
      response.headers.forEach((v, k) => {
        out[k] = v;
      });
      res.writeHead(response.status, response.statusText, out);
      if (response.body && req.method !== 'HEAD') {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) res.write(chunk);
      }
      res.end();
    } catch (err) {
      res.destroy(err as Error);
    }
  });
}
