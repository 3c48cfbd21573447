import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, EMPTY_HOME } from '../helpers/cli.js';
import { startServer, type TestServer } from '../helpers/http.js';
import { listFiles, tmpDir } from '../helpers/tmp.js';

// -o -: the body on stdout and nothing else there; every line on stderr.

const BODY = randomBytes(5 * 1024 * 1024 + 123);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Sends BODY from `start` (a Range honoured when its If-Range matches), cut after `cut` bytes when given. */
function send(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  o: { ranges: boolean; cut?: number; etag?: false },
) {
  const range = /^bytes=(\d+)-$/.exec(String(req.headers.range ?? ''));
  const ifRange = req.headers['if-range'];
  const start = o.ranges && range && (ifRange === undefined || ifRange === '"v1"') ? Number(range[1]) : 0;
  const headers = {
    ...(o.etag === false ? {} : { etag: '"v1"' }),
    'accept-ranges': o.ranges ? 'bytes' : 'none',
  };
  if (start > 0) {
    res.writeHead(206, {
      ...headers,
      'content-length': BODY.length - start,
      'content-range': `bytes ${start}-${BODY.length - 1}/${BODY.length}`,
    });
  } else res.writeHead(200, { ...headers, 'content-length': BODY.length });
  if (o.cut === undefined) return res.end(BODY.subarray(start));
  // Half a body, then the connection is cut (after those bytes went out).
  res.write(BODY.subarray(start, start + o.cut), () => setImmediate(() => res.socket?.destroy()));
}

let server: TestServer;
const hits = new Map<string, number>();
beforeAll(async () => {
  server = await startServer((req, res) => {
    const url = req.url ?? '';
    const n = (hits.get(url) ?? 0) + 1;
    hits.set(url, n);
    if (url === '/big.bin') return send(req, res, { ranges: true });
    if (url.startsWith('/cut/'))
      return send(req, res, { ranges: true, ...(n === 1 ? { cut: 1024 * 1024 } : {}) });
    if (url.startsWith('/noetag/'))
      return send(req, res, { ranges: true, etag: false, ...(n === 1 ? { cut: 1024 * 1024 } : {}) });
    if (url.startsWith('/norange/'))
      return send(req, res, { ranges: false, ...(n === 1 ? { cut: 1024 * 1024 } : {}) });
    res.writeHead(404).end('not here');
  });
});
afterAll(() => server.close());

interface ByteRun {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs dlpool with stdout collected as bytes; `keep` bytes of it, then the pipe is closed (as `| head -c`). */
function run(args: string[], o: { cwd?: string; keep?: number } = {}): Promise<ByteRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: o.cwd,
      env: { ...process.env, CI: 'true', NO_COLOR: '1', HOME: EMPTY_HOME, XDG_CONFIG_HOME: EMPTY_HOME },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let got = 0;
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      out.push(d);
      got += d.length;
      if (o.keep !== undefined && got >= o.keep) child.stdout.destroy();
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const stdout = Buffer.concat(out);
      resolve({ code, stderr, stdout: o.keep === undefined ? stdout : stdout.subarray(0, o.keep) });
    });
  });
}

describe.each(['async', 'threads'])('-o - (--mode %s)', (mode) => {
  it('writes the body, byte for byte, to stdout and nothing else; every line on stderr; nothing on disk', async () => {
    const cwd = await tmpDir();
    const r = await run([`${server.url}/big.bin`, '--output=-', '--mode', mode, '-d', 'never'], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBe(BODY.length);
    expect(sha(r.stdout)).toBe(sha(BODY));
    expect(r.stderr).toMatch(/^downloaded {2}- {2}\(5.00 MiB/m);
    expect(r.stderr).toMatch(/^dlpool: 1 downloaded, .* -> stdout$/m);
    expect(await listFiles(cwd)).toEqual([]);
  });

  it('continues a cut body with Range and If-Range from the bytes written, never repeating one', async () => {
    const u = `/cut/${mode}.bin`;
    const before = server.requests.length;
    const r = await run([`${server.url}${u}`, '-o', '-', '--mode', mode]);
    expect(r.code).toBe(0);
    expect(sha(r.stdout)).toBe(sha(BODY));
    const seen = server.requests.slice(before).filter((q) => q.path === u);
    expect(seen.length).toBe(2);
    expect(seen[1]!.headers.range).toMatch(/^bytes=[1-9]\d*-$/);
    expect(seen[1]!.headers['if-range']).toBe('"v1"');
    expect(r.stderr).toMatch(/resumed/);
  });

  it('fails, without repeating bytes, when the server cannot continue (exit 1, ERR_DL_NO_RESUME)', async () => {
    const r = await run([`${server.url}/norange/${mode}.bin`, '-o', '-', '--mode', mode]);
    expect(r.code).toBe(1);
    expect(r.stdout.length).toBeGreaterThan(0);
    expect(r.stdout.length).toBeLessThan(BODY.length);
    expect(r.stdout.equals(BODY.subarray(0, r.stdout.length))).toBe(true);
    expect(r.stderr).toMatch(/FAILED .*cannot continue .*\[ERR_DL_NO_RESUME\]/);
  });
});

describe('-o -', () => {
  it('does not continue a cut body the server gave no validator for (the rest could be another version)', async () => {
    const before = server.requests.length;
    const r = await run([`${server.url}/noetag/a.bin`, '-o', '-']);
    expect(r.code).toBe(1);
    expect(r.stdout.length).toBeGreaterThan(0);
    expect(r.stdout.equals(BODY.subarray(0, r.stdout.length))).toBe(true);
    expect(r.stderr).toMatch(/FAILED .*no ETag or Last-Modified.*\[ERR_DL_NO_RESUME\]/);
    expect(server.requests.length - before).toBe(1);
  });

  it('a closed pipe (| head -c 10) ends the run quietly with exit 141', async () => {
    const r = await run([`${server.url}/big.bin`, '-o', '-'], { keep: 10 });
    expect(r.stdout.equals(BODY.subarray(0, 10))).toBe(true);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(141);
  });

  it('a checksum mismatch is an error after the bytes went out (exit 1)', async () => {
    const cwd = await tmpDir();
    await fs.writeFile(path.join(cwd, 'SUMS'), `${'0'.repeat(64)}  big.bin\n`);
    const r = await run([`${server.url}/big.bin`, '-o', '-', '-c', 'SUMS'], { cwd });
    expect(r.code).toBe(1);
    expect(sha(r.stdout)).toBe(sha(BODY));
    expect(r.stderr).toMatch(/\[ERR_DL_CHECKSUM\]/);
    await fs.writeFile(path.join(cwd, 'SUMS'), `${sha(BODY)}  big.bin\n`);
    const good = await run([`${server.url}/big.bin`, '-o', '-', '-c', 'SUMS'], { cwd });
    expect(good.code).toBe(0);
    expect(good.stderr).toMatch(/sha256 verified/);
    expect(await listFiles(cwd)).toEqual(['SUMS']);
  });

  it('with --json is a usage error (both want stdout), and --help says when a mismatch is told', async () => {
    const r = await run([`${server.url}/big.bin`, '-o', '-', '--json']);
    expect(r.code).toBe(2);
    expect(r.stdout.length).toBe(0);
    expect(r.stderr).toMatch(/^dlpool: --json: .*-o -/);
    const help = await run(['get', '--help']);
    expect(help.stdout.toString()).toMatch(/-o -[^\n]*stdout/);
    expect(help.stdout.toString().replace(/\s+/g, ' ')).toMatch(
      /mismatch is reported after the bytes went out/,
    );
  });
});
