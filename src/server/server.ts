import { ROUTES } from './routes.js';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline, type Writable } from 'node:stream';
import { UsageError } from '../errors.js';
import { inRangeOr } from '../option-values.js';
import { SERVE_DEFAULTS, SERVE_RANGES } from './serve-values.js';
import { bodyTarget, type FaultOptions, type Faults, makeFaults, sendBusy } from './faults.js';
import { openUnderRoot, type ServedRoot, servedRoot } from './root.js';
import { parseSize, synthBytes, synthEtag } from './synth.js';
import { sendWorkload } from './workload-route.js';

export interface ServeOptions extends FaultOptions {
  /** Serve the files under this directory; without it, synthetic files at `/gen/SIZE/NAME`. */
  root?: string;
  /**
   * Also serve names starting with `.` under `root` (`.env`, `.git/config`); they are answered 404 otherwise.
   * @default false
   */
  dotfiles?: boolean;
  /** @default '127.0.0.1' */
  host?: string;
  /** @default 0 (any free port) */
  port?: number;
}

export interface RunningServer {
  /** Base URL with a trailing slash, e.g. `http://127.0.0.1:40123/`. */
  url: string;
  port: number;
  /** Stops listening and drops every connection, keep-alive ones included. */
  close(): Promise<void>;
}

/** One file to send: its size, its validators, and how to write bytes `[start, end)` of it. */
interface Resource {
  size: number;
  etag: string;
  lastModified: string;
  /** `drop` closes the connection itself (`res` may be a pacing stream in front of it). */
  send(res: Writable, start: number, end: number, drop: () => void): void;
  /** Called instead of `send` when no body goes out (HEAD, 416), to release what the resource holds. */
  release(): void;
}

type RangeSpec = { start: number; end: number } | 'ignore' | 'unsatisfiable';

const SYNTH_LAST_MODIFIED = 'Mon, 01 Jan 2024 00:00:00 GMT';
/** Largest write: big enough to keep syscalls few, small enough not to hold a whole file in memory. */
const CHUNK = 1024 * 1024;
const KEEP_ALIVE_MS = 5_000;

/**
 * Parses a `Range` header against a body of `size` bytes. Only one `bytes=` range is honoured: several ranges
 * or a malformed header give 'ignore' (send the whole body, as RFC 9110 allows).
 */
export function parseRange(header: string, size: number): RangeSpec {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return 'ignore';
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size };
  }
  const start = Number(m[1]);
  if (m[2] !== '' && Number(m[2]) < start) return 'ignore';
  if (start >= size) return 'unsatisfiable';
  const end = m[2] === '' ? size : Math.min(size, Number(m[2]) + 1);
  return { start, end };
}

/** Writes synthetic bytes in chunks of up to 1 MiB, waiting for 'drain' whenever the socket is full. */
function sendSynth(res: Writable, urlPath: string, start: number, end: number): void {
  let pos = start;
  const pump = (): void => {
    while (pos < end) {
      if (res.destroyed) return;
      // Chunk edges on 1 MiB boundaries of the file, so later chunks are whole blocks.
      const next = Math.min(end, (Math.floor(pos / CHUNK) + 1) * CHUNK);
      const chunk = synthBytes(urlPath, pos, next);
      pos = next;
      if (!res.write(chunk)) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  pump();
}

/** `/gen/SIZE/NAME`, keyed by the path exactly as the client sent it (before percent-decoding). */
function synthResource(urlPath: string): Resource | undefined {
  const m = /^\/gen\/([^/]+)\/(.+)$/.exec(urlPath);
  const size = m?.[1] === undefined ? undefined : parseSize(m[1]);
  if (size === undefined) return undefined;
  return {
    size,
    etag: synthEtag(urlPath, size),
    lastModified: SYNTH_LAST_MODIFIED,
    send: (res, start, end) => sendSynth(res, urlPath, start, end),
    release: () => {},
  };
}

/** A regular file under `root` that may be served (see openUnderRoot), or undefined. */
async function fileResource(root: ServedRoot, rawPath: string): Promise<Resource | undefined> {
  // The size and validators come from the open descriptor, so they describe the bytes that will be read.
  const opened = await openUnderRoot(root, rawPath);
  if (!opened) return undefined;
  const { fd, stat: st } = opened;
  const release = () => fs.close(fd, () => {});
  return {
    size: st.size,
    etag: `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`,
    lastModified: st.mtime.toUTCString(),
    send(res, start, end, drop) {
      if (end <= start) {
        release();
        res.end();
        return;
      }
      const rs = fs.createReadStream('', { fd, start, end: end - 1, highWaterMark: CHUNK });
      // pipeline handles backpressure and destroys the file stream (closing fd) if the client goes away. A file
      // that shrank since its size was sent ends early: the connection is closed then (as nginx does), rather
      // than left open with the client waiting for bytes that will not come.
      pipeline(rs, res, (err) => {
        // (An error here is a client gone or a --drop-rate cut, which close the connection themselves.)
        if (!err && rs.bytesRead < end - start) drop();
      });
    },
    release,
  };
}

function rawPathOf(url: string | undefined): string | undefined {
  if (url === undefined || !url.startsWith('/')) return undefined;
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

function notFound(res: http.ServerResponse): void {
  res
    .writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'content-length': '10' })
    .end('not found\n');
}

function sendText(req: http.IncomingMessage, res: http.ServerResponse, text: string): void {
  const body = Buffer.from(text);
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(body.length) });
  res.end(req.method === 'HEAD' ? undefined : body);
}

async function handle(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  root: ServedRoot | undefined,
  faults: Faults,
) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-length': '0' }).end();
    return;
  }
  const rawPath = rawPathOf(req.url);
  if (rawPath === '/' && root === undefined) {
    sendText(req, res, ROUTES);
    return;
  }
  if (rawPath !== undefined && root === undefined && sendWorkload(req, res, rawPath)) return;
  const resource =
    rawPath === undefined
      ? undefined
      : root === undefined
        ? synthResource(rawPath)
        : await fileResource(root, rawPath);
  if (!resource) {
    notFound(res);
    return;
  }
  if (res.destroyed) {
    resource.release();
    return;
  }
  const fault = faults.roll();
  if (fault === 'fail') {
    resource.release();
    sendBusy(res);
    return;
  }
  const { size } = resource;
  const headers: http.OutgoingHttpHeaders = {
    'content-type': 'application/octet-stream',
    'accept-ranges': 'bytes',
    etag: resource.etag,
    'last-modified': resource.lastModified,
  };
  if (notModified(req, resource)) {
    resource.release();
    res.writeHead(304, { etag: resource.etag, 'last-modified': resource.lastModified }).end();
    return;
  }
  let status = 200;
  let start = 0;
  let end = size;
  const ifRange = req.headers['if-range'];
  const rangeApplies =
    ifRange === undefined || ifRange === resource.etag || ifRange === resource.lastModified;
  if (req.headers.range !== undefined && rangeApplies) {
    const r = parseRange(req.headers.range, size);
    if (r === 'unsatisfiable') {
      resource.release();
      res.writeHead(416, { ...headers, 'content-range': `bytes */${size}`, 'content-length': '0' }).end();
      return;
    }
    if (r !== 'ignore') {
      ({ start, end } = r);
      status = 206;
      headers['content-range'] = `bytes ${start}-${end - 1}/${size}`;
    }
  }
  headers['content-length'] = String(end - start);
  res.writeHead(status, headers);
  if (req.method === 'HEAD') {
    resource.release();
    res.end();
    return;
  }
  const cutAt = fault === 'drop' ? Math.floor((end - start) / 2) : undefined;
  // The socket, not res: once res has ended it is detached from its socket, and destroying it closes nothing.
  const { socket } = req;
  resource.send(bodyTarget(res, faults.rateBytesPerSec, cutAt), start, end, () => socket.destroy());
}

/** A conditional GET the resource meets (RFC 9110: If-None-Match, else If-Modified-Since to the second). */
function notModified(req: http.IncomingMessage, r: Resource): boolean {
  const inm = req.headers['if-none-match'];
  if (inm !== undefined) return inm.split(',').some((t) => t.trim() === r.etag || t.trim() === '*');
  const since = Date.parse(req.headers['if-modified-since'] ?? '');
  return Number.isFinite(since) && Date.parse(r.lastModified) <= since;
}

/**
 * Starts the demo/test file server: synthetic files at `/gen/SIZE/NAME` and workloads at `/list/SPEC` (or the
 * files under `root`), with single `Range` requests, `If-Range`, conditional GETs (304), `HEAD`, strong ETags and
 * Last-Modified, and
 * optional latency, per-connection rate, 503s and cut bodies (seeded).
 */
export async function createServer(opts: ServeOptions = {}): Promise<RunningServer> {
  const faults = makeFaults(opts);
  const { latencyMs } = faults;
  const port = inRangeOr('port', opts.port, SERVE_DEFAULTS.port, SERVE_RANGES.port);
  if (opts.dotfiles === true && opts.root === undefined) {
    throw new UsageError('dotfiles: only applies to the files of a root');
  }
  const root = opts.root === undefined ? undefined : await servedRoot(opts.root, opts.dotfiles ?? false);

  const pending = new Set<NodeJS.Timeout>();
  const run = (req: http.IncomingMessage, res: http.ServerResponse) => {
    handle(req, res, root, faults).catch(() => {
      if (res.headersSent) res.destroy();
      else res.writeHead(500, { 'content-length': '0' }).end();
    });
  };
  const server = http.createServer((req, res) => {
    if (latencyMs <= 0) {
      run(req, res);
      return;
    }
    const timer = setTimeout(() => {
      pending.delete(timer);
      if (!res.destroyed) run(req, res);
    }, latencyMs);
    pending.add(timer);
  });
  server.keepAliveTimeout = KEEP_ALIVE_MS;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, opts.host ?? SERVE_DEFAULTS.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.address.includes(':') ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}/`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of pending) clearTimeout(t);
        pending.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
