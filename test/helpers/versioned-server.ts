import type http from 'node:http';
import { startServer, type TestServer } from './http.js';

/** One file the server holds; a test changes it between runs (or mid-run) by assigning a new version. */
export interface Served {
  body: Buffer;
  /** Sent as ETag when set. */
  etag?: string | undefined;
  /** Sent as Last-Modified when set (any text: a test may send an invalid one). */
  lastModified?: string | undefined;
  /** Answer with the headers and this many body bytes, then destroy the socket (once: cleared when used). */
  cutAfter?: number | undefined;
  /** Called when a body was cut after `cutAfter` bytes. */
  onCut?: (() => void) | undefined;
  /** More headers of every answer (Content-Disposition). */
  headers?: http.OutgoingHttpHeaders | undefined;
  /** Answers wait for it (a test orders answers this way). */
  hold?: Promise<void> | undefined;
}

/**
 * A loopback server for files that change: byte ranges with If-Range, and the conditional GETs of RFC 9110
 * (If-None-Match first; If-Modified-Since only without it, compared to the second) answered with 304 when the
 * file matches. `files` is read per request, so a test replaces a file by assigning a new Served.
 */
export function versionedServer(files: Map<string, Served>): Promise<TestServer> {
  return startServer(async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const f = files.get((req.url ?? '/').split('?')[0]!);
    if (!f) {
      res.writeHead(404).end();
      return;
    }
    await f.hold;
    const validators: http.OutgoingHttpHeaders = { ...f.headers };
    if (f.etag !== undefined) validators['etag'] = f.etag;
    if (f.lastModified !== undefined) validators['last-modified'] = f.lastModified;
    if (notModified(req, f)) {
      res.writeHead(304, validators).end();
      return;
    }
    const size = f.body.length;
    const headers: http.OutgoingHttpHeaders = { ...validators, 'accept-ranges': 'bytes' };
    let start = 0;
    let end = size;
    let status = 200;
    const m = /^bytes=(\d+)-(\d*)$/.exec(String(req.headers.range ?? ''));
    const ifRange = req.headers['if-range'];
    if (m && (ifRange === undefined || ifRange === f.etag || ifRange === f.lastModified)) {
      start = Number(m[1]);
      end = m[2] ? Math.min(size, Number(m[2]) + 1) : size;
      if (start >= size) {
        res.writeHead(416, { 'content-range': `bytes */${size}` }).end();
        return;
      }
      status = 206;
      headers['content-range'] = `bytes ${start}-${end - 1}/${size}`;
    }
    headers['content-length'] = end - start;
    res.writeHead(status, headers);
    const cut = f.cutAfter;
    if (cut !== undefined) {
      f.cutAfter = undefined;
      res.write(f.body.subarray(start, Math.min(end, start + cut)), () => {
        res.destroy();
        f.onCut?.();
      });
      return;
    }
    res.end(f.body.subarray(start, end));
  });
}

function notModified(req: http.IncomingMessage, f: Served): boolean {
  const inm = req.headers['if-none-match'];
  if (inm !== undefined) return f.etag !== undefined && inm.split(',').some((t) => t.trim() === f.etag);
  const ims = req.headers['if-modified-since'];
  if (ims === undefined || f.lastModified === undefined) return false;
  const since = Date.parse(ims);
  const modified = Date.parse(f.lastModified);
  return Number.isFinite(since) && Number.isFinite(modified) && modified <= since;
}
