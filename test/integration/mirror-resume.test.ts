import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { download } from '../../src/download.js';
import { startServer, type TestServer } from '../helpers/http.js';
import { engine, listFiles, MODES, tmpDir } from '../helpers/tmp.js';

/**
 * Two mirrors of "one" file that send the same strong ETag for other bytes (as two nginx servers do for copies
 * with the same mtime and size): an ETag proves nothing about another server's bytes.
 */
const SIZE = 1_000_000;
const A = Buffer.alloc(SIZE, 'mirror A|');
const B = Buffer.alloc(SIZE, 'mirror B|');
const ETAG = '"5f1e3a2b-f4240"';

let servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

/**
 * Serves `body` with ETAG and byte ranges (If-Range honoured). The next `o.fail` requests get a 503 (the test
 * may change it); the first body answered is cut after `cutAt` bytes (written, then the connection destroyed).
 */
async function fileServer(body: Buffer, o: { fail?: number; cutAt?: number } = {}): Promise<TestServer> {
  let cut = o.cutAt;
  const s = await startServer((req, res) => {
    if (o.fail) {
      o.fail--;
      return void res.writeHead(503, { 'content-length': '0' }).end();
    }
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const ranged = m !== null && (req.headers['if-range'] === undefined || req.headers['if-range'] === ETAG);
    const start = ranged ? Number(m[1]) : 0;
    const end = ranged && m[2] ? Math.min(Number(m[2]), body.length - 1) : body.length - 1;
    const part = body.subarray(start, end + 1);
    res.writeHead(ranged ? 206 : 200, {
      'content-length': String(part.length),
      'accept-ranges': 'bytes',
      etag: ETAG,
      ...(ranged ? { 'content-range': `bytes ${start}-${end}/${body.length}` } : {}),
    });
    if (cut === undefined) return void res.end(part);
    const at = cut;
    cut = undefined;
    // Cut mid-body: what was written reaches the client, then the connection ends.
    res.write(part.subarray(0, at), () => res.destroy());
  });
  servers.push(s);
  return s;
}

async function listOf(dir: string, line: string): Promise<string> {
  const file = path.join(dir, 'list.txt');
  await fs.writeFile(file, `${line}\n`);
  return file;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const FAST = { retries: 3, baseDelayMs: 10, maxDelayMs: 50 };

describe.each(MODES)('%s mode', (mode) => {
  it('a body cut on one mirror restarts on the next when no checksum is known (same ETag, other bytes)', async () => {
    const [first, second] = [await fileServer(A, { cutAt: 300_000 }), await fileServer(B)];
    const dir = await tmpDir();
    const summary = await download({
      ...engine(mode),
      sources: [await listOf(dir, `${first.url}/f.bin\t${second.url}/f.bin`)],
      dir: path.join(dir, 'out'),
      retry: FAST,
    });
    expect(summary.results[0]).toMatchObject({ status: 'downloaded', attempts: 2, resumed: false });
    // The mirror was asked for the whole file: no Range, no If-Range it could satisfy with its own bytes.
    expect(second.requests[0]!.headers.range).toBeUndefined();
    expect(second.requests[0]!.headers['if-range']).toBeUndefined();
    expect((await fs.readFile(path.join(dir, 'out', 'f.bin'))).equals(B)).toBe(true);
  });

  it('with a checksum the next mirror continues the body (the digest proves the file)', async () => {
    const [first, second] = [await fileServer(A, { cutAt: 300_000 }), await fileServer(A)];
    const dir = await tmpDir();
    const line = `${first.url}/f.bin\t${second.url}/f.bin\n  checksum=sha-256=${sha256(A)}`;
    const summary = await download({
      ...engine(mode),
      sources: [await listOf(dir, line)],
      dir: path.join(dir, 'out'),
      retry: FAST,
    });
    expect(summary.results[0]).toMatchObject({ status: 'downloaded', attempts: 2, resumed: true });
    expect(second.requests[0]!.headers.range).toMatch(/^bytes=[1-9][0-9]*-$/);
    // Its validator is the first mirror's: not sent to another server.
    expect(second.requests[0]!.headers['if-range']).toBeUndefined();
    expect((await fs.readFile(path.join(dir, 'out', 'f.bin'))).equals(A)).toBe(true);
  });

  it('a split download (-x) whose first answer came from a mirror takes every range from that mirror', async () => {
    // The entry's URL fails once, then serves other bytes under the same ETag.
    const [entry, mirror] = [await fileServer(B, { fail: 1 }), await fileServer(A)];
    const dir = await tmpDir();
    const summary = await download({
      ...engine(mode),
      sources: [await listOf(dir, `${entry.url}/f.bin\t${mirror.url}/f.bin`)],
      dir: path.join(dir, 'out'),
      concurrency: 4,
      split: 4,
      minSplitSizeBytes: 1024,
      retry: FAST,
    });
    expect(summary.results[0]).toMatchObject({ status: 'downloaded' });
    expect(entry.requests).toHaveLength(1);
    expect(mirror.requests.some((r) => r.headers.range !== undefined)).toBe(true);
    expect((await fs.readFile(path.join(dir, 'out', 'f.bin'))).equals(A)).toBe(true);
  });

  it('a later run does not resume on the entry URL a .part whose bytes came from a mirror', async () => {
    const dir = await tmpDir();
    const out = path.join(dir, 'out');
    const failing = { fail: 1 };
    const [entry, mirror] = [await fileServer(B, failing), await fileServer(A, { cutAt: 300_000 })];
    const line = `${entry.url}/f.bin\t${mirror.url}/f.bin`;
    // One attempt per URL: the entry's fails, the mirror's body is cut.
    const first = await download({
      ...engine(mode),
      sources: [await listOf(dir, line)],
      dir: out,
      retry: { ...FAST, retries: 0 },
    });
    expect(first.failed).toBe(1);
    expect(await listFiles(out)).toEqual(['f.bin.part', 'f.bin.part.meta']);
    const seen = entry.requests.length;
    const second = await download({
      ...engine(mode),
      sources: [await listOf(dir, line)],
      dir: out,
      retry: FAST,
    });
    expect(second.results[0]).toMatchObject({ status: 'downloaded', resumed: false });
    expect(entry.requests[seen]!.headers.range).toBeUndefined();
    expect((await fs.readFile(path.join(out, 'f.bin'))).equals(B)).toBe(true);
  });
});
