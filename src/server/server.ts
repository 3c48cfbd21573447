import { createReadStream } from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { parseSize, synthBytes } from './synth.js';

export interface ServeOptions {
  /** Serve files under this directory; without it, synthetic files at /gen/SIZE/NAME. */
  root?: string;
  /** @default '127.0.0.1' */
  host?: string;
  /** @default 0 (any free port) */
  port?: number;
  /** Hold back every response's headers this long. @default 0 */
  latencyMs?: number;
}

export interface RunningServer {
  /** Base URL with a trailing slash, e.g. `http://127.0.0.1:40123/`. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** What to send: its size, validators, and how to produce a byte range of it. */
interface Resource {
  size: number;
  etag: string;
  lastModified: string;
  body(start: number, end: number, res: http.ServerResponse): void;
}

const SYNTH_DATE = 'Mon, 01 Jan 2024 00:00:00 GMT';
const CHUNK = 1024 * 1024;

function synthResource(urlPath: string): Resource | undefined {
  const m = /^\/gen\/([^/]+)\/.+$/.exec(urlPath);
  const size = m?.[1] === undefined ? undefined : parseSize(m[1]);
  if (size === undefined) return undefined;
  const tag = synthBytes(`etag:${urlPath}`, 0, 8).toString('hex');
  return {
    size,
    etag: `"${tag}-${size.toString(16)}"`,
    lastModified: SYNTH_DATE,
    body(start, end, res) {
      let pos = start;
      const pump = () => {
        while (pos < end) {
          const n = Math.min(CHUNK, end - pos);
          const chunk = synthBytes(urlPath, pos, pos + n);
          pos += n;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
    },
  };
}

async function fileResource(root: string, urlPath: string): Promise<Resource | undefined> {
  const target = path.resolve(root, `.${urlPath}`);
  if (target !== root && !target.startsWith(root + path.sep)) return undefined;
  const st = await fsp.stat(target).catch(() => undefined);
  if (!st?.isFile()) return undefined;
  return {
    size: st.size,
    etag: `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`,
    lastModified: st.mtime.toUTCString(),
    body(start, end, res) {
      if (end <= start) {
        res.end();
        return;
      }
      const rs = createReadStream(target, { start, end: end - 1, highWaterMark: CHUNK });
      rs.on('error', () => res.destroy());
      rs.pipe(res);
    },
  };
}

/** Parses a single `bytes=` range; 'ignore' for multi-range or malformed headers (send the whole file). */
function parseRange(
  header: string,
  size: number,
): { start: number; end: number } | 'ignore' | 'unsatisfiable' {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return 'ignore';
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size : Math.min(size, Number(m[2]) + 1);
  if (start >= size || end <= start) return 'unsatisfiable';
  return { start, end };
}

function decodePath(raw: string): string | undefined {
  try {
    return decodeURIComponent(new URL(raw, 'http://x').pathname);
  } catch {
    return undefined;
  }
}

/** `dlpool serve`: a small static/synthetic file server with Range, HEAD, ETag and Last-Modified. */
export async function createServer(opts: ServeOptions = {}): Promise<RunningServer> {
  const root = opts.root === undefined ? undefined : path.resolve(opts.root);
  const latencyMs = opts.latencyMs ?? 0;

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    // Decode before resolving: `/%2e%2e/x` must not escape the root either.
    const urlPath = decodePath(req.url ?? '/');
    const resource =
      urlPath === undefined || urlPath.includes('\0')
        ? undefined
        : root === undefined
          ? synthResource(urlPath)
          : await fileResource(root, urlPath);
    if (!resource) {
      res.writeHead(404, { 'content-type': 'text/plain', 'content-length': '10' }).end('not found\n');
      return;
    }
    const headers: http.OutgoingHttpHeaders = {
      'content-type': 'application/octet-stream',
      'accept-ranges': 'bytes',
      etag: resource.etag,
      'last-modified': resource.lastModified,
    };
    let start = 0;
    let end = resource.size;
    let status = 200;
    const ifRange = req.headers['if-range'];
    const rangeApplies =
      ifRange === undefined || ifRange === resource.etag || ifRange === resource.lastModified;
    if (req.headers.range && rangeApplies) {
      const r = parseRange(req.headers.range, resource.size);
      if (r === 'unsatisfiable') {
        res.writeHead(416, { 'content-range': `bytes */${resource.size}`, 'content-length': '0' }).end();
        return;
      }
      if (r !== 'ignore') {
        ({ start, end } = r);
        status = 206;
        headers['content-range'] = `bytes ${start}-${end - 1}/${resource.size}`;
      }
    }
    headers['content-length'] = String(end - start);
    res.writeHead(status, headers);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    resource.body(start, end, res);
  };

  const server = http.createServer((req, res) => {
    const go = () => {
      handle(req, res).catch(() => res.destroy());
    };
    if (latencyMs > 0) setTimeout(go, latencyMs);
    else go();
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
