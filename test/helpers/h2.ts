import fs from 'node:fs';
import http2 from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import { synthBytes } from '../../src/server/synth.js';
import { TEST_CA_FILE, type SeenRequest } from './http.js';

const TEST_KEY_FILE = new URL('../fixtures/tls/key.pem', import.meta.url);

export interface H2SeenRequest extends SeenRequest {
  /** The request's HTTP version as the server read it: '2.0', or '1.1' from a client that did not offer h2. */
  version: string;
}

export interface H2TestServer {
  url: string;
  requests: H2SeenRequest[];
  /** TLS connections accepted, h2 or not. */
  readonly connections: number;
  /** TLS connections open now. */
  readonly open: number;
  /** HTTP/2 sessions opened. */
  readonly sessions: number;
  /** Most h2 streams open at one time on one session. */
  readonly maxStreams: number;
  close(): Promise<void>;
}

export type H2Handler = (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void;

/**
 * A node:http2 server on 127.0.0.1, port 0, with the test certificate (trusted through TEST_CA_FILE), offering
 * h2 and http/1.1 by ALPN (`allowHTTP1`), as nginx with `http2 on` does. Handlers get the compatibility API, and
 * the h2 stream (`res.stream`) to misbehave at the frame level: `res.stream.close(NGHTTP2_INTERNAL_ERROR)` sends
 * RST_STREAM, `res.stream.session.destroy()` drops the connection with every stream on it.
 */
export async function startH2Server(handler: H2Handler): Promise<H2TestServer> {
  const requests: H2SeenRequest[] = [];
  const sockets = new Set<Socket>();
  const live = new Set<http2.Http2Session>();
  const state = { connections: 0, sessions: 0, maxStreams: 0 };
  const open = new Map<http2.Http2Session, number>();
  const server = http2.createSecureServer(
    { key: fs.readFileSync(TEST_KEY_FILE), cert: fs.readFileSync(TEST_CA_FILE), allowHTTP1: true },
    (req, res) => {
      requests.push({ method: req.method, path: req.url, headers: req.headers, version: req.httpVersion });
      const session = req.stream?.session;
      if (session) {
        const n = (open.get(session) ?? 0) + 1;
        open.set(session, n);
        state.maxStreams = Math.max(state.maxStreams, n);
        req.stream.once('close', () => open.set(session, (open.get(session) ?? 1) - 1));
      }
      handler(req, res);
    },
  );
  server.on('secureConnection', (socket: Socket) => {
    state.connections++;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('session', (session) => {
    state.sessions++;
    live.add(session);
    session.once('close', () => live.delete(session));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    requests,
    get connections() {
      return state.connections;
    },
    get open() {
      return sockets.size;
    },
    get sessions() {
      return state.sessions;
    },
    get maxStreams() {
      return state.maxStreams;
    },
    async close() {
      for (const s of live) s.destroy();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * What a request meets, in order per path: `rst` cuts the body halfway with RST_STREAM, `drop` destroys the
 * session halfway, `short` ends the stream cleanly halfway, `stall` sends half and then nothing, `busy` is 503
 * with Retry-After: 1, `reset` drops the session before any header.
 */
export type H2Fault = 'rst' | 'drop' | 'stall' | 'busy' | 'short' | 'reset';

/** Serves `/SIZE/name` (synthBytes of the path), with a strong ETag, single byte ranges and If-Range. */
export async function startH2FileServer(
  faults: Record<string, H2Fault[]> = {},
  redirects: Record<string, () => string> = {},
): Promise<H2TestServer> {
  const s = await startH2Server((req, res) => {
    const p = req.url.split('?')[0]!;
    const to = redirects[p];
    if (to) return void res.writeHead(302, { location: to() }).end();
    const fault = faults[p]?.shift();
    if (fault === 'busy') return void res.writeHead(503, { 'retry-after': '1', 'content-length': '0' }).end();
    if (fault === 'reset') return void res.stream.session?.destroy();
    const size = Number(/^\/(\d+)\//.exec(p)?.[1] ?? -1);
    if (size < 0) return void res.writeHead(404).end();
    const etag = `"${size}"`;
    let [start, end, status] = [0, size, 200];
    const m = /^bytes=(\d+)-(\d*)$/.exec(String(req.headers.range ?? ''));
    if (m && (req.headers['if-range'] === undefined || req.headers['if-range'] === etag)) {
      start = Number(m[1]);
      end = m[2] ? Math.min(size, Number(m[2]) + 1) : size;
      status = 206;
    }
    const headers: http2.OutgoingHttpHeaders = {
      etag,
      'accept-ranges': 'bytes',
      'content-length': end - start,
      ...(status === 206 ? { 'content-range': `bytes ${start}-${end - 1}/${size}` } : {}),
    };
    res.writeHead(status, headers);
    const body = synthBytes(p, start, end);
    if (fault === undefined) return void res.end(body);
    res.write(body.subarray(0, body.length >> 1), () => {
      if (fault === 'rst') res.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      // A clean END_STREAM short of the Content-Length.
      else if (fault === 'short') res.stream.end();
      else if (fault === 'drop') res.stream.session?.destroy();
      // 'stall': nothing more, ever; the client's idle timeout must fire.
    });
  });
  return s;
}
