import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/http.js';
import { MODES, tmpDir } from '../helpers/tmp.js';
import { BIN, EMPTY_HOME, runCli } from '../helpers/cli.js';

// -v: every request's line and headers and every response's status and headers on stderr, curl -v's form, per
// attempt and redirect hop; secrets redacted; a hostile server's bytes escaped.

const AUTH_SECRET = 'v-auth-s3cret';
const COOKIE_SECRET = 'v-cookie-s3cret';
const SET_SECRET = 'v-set-s3cret';

let server: TestServer;
let hostile: net.Server;
let hostileUrl: string;
let busy = 0;

beforeAll(async () => {
  server = await startServer((req, res) => {
    switch (req.url) {
      case '/hop.bin':
        return res
          .writeHead(302, {
            location: `/b.bin`,
            'set-cookie': `token=${SET_SECRET}; Path=/; HttpOnly`,
          })
          .end();
      case '/drip.bin': {
        // 1000 bytes over ~0.5 s: bars, were they on, would be drawn.
        res.writeHead(200, { 'content-length': '1000' });
        let sent = 0;
        const t = setInterval(() => {
          res.write('y'.repeat(100));
          if ((sent += 100) >= 1000) {
            clearInterval(t);
            res.end();
          }
        }, 50);
        return void res.on('close', () => clearInterval(t));
      }
      case '/busy.bin':
        // Every other request is refused: each run sees one 503, then the file.
        if (busy++ % 2 === 0) return res.writeHead(503, { 'retry-after': '0' }).end();
        return res.end('later');
      default:
        return res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '5' }).end('bytes');
    }
  });
  // Bytes node:http would refuse to send: a C1 control (CSI) and ESC in the reason phrase, C1 in a header.
  hostile = net.createServer((c) => {
    c.once('data', () =>
      c.end(
        Buffer.from(
          'HTTP/1.1 200 OK\x1b]0;pwned\x07\r\nx-evil: a\x9b31mred\r\ncontent-length: 2\r\nconnection: close\r\n\r\nhi',
          'latin1',
        ),
      ),
    );
  });
  await new Promise<void>((r) => hostile.listen(0, '127.0.0.1', r));
  hostileUrl = `http://127.0.0.1:${(hostile.address() as net.AddressInfo).port}`;
});
afterAll(async () => {
  await server.close();
  await new Promise((r) => hostile.close(r));
});

const host = () => new URL(server.url).host;

describe.each(MODES)('%s mode', (mode) => {
  const get = (args: string[]) => runCli([...args, '--mode', mode, '-w', '2', '--retries', '2']);

  it('shows each hop of a redirect, request and response, with credentials and cookies redacted', async () => {
    const dir = await tmpDir();
    const url = `${server.url.replace('://', `://ann:${AUTH_SECRET}@`)}/hop.bin`;
    const r = await get([url, '-d', dir, '-v', '-j', '1', '-H', `Cookie: sid=${COOKIE_SECRET}`]);
    expect(r.code, r.stderr).toBe(0);
    for (const secret of [
      AUTH_SECRET,
      COOKIE_SECRET,
      SET_SECRET,
      Buffer.from(`ann:${AUTH_SECRET}`).toString('base64'),
    ])
      expect(`${r.stdout}${r.stderr}`).not.toContain(secret);
    const lines = r.stderr.split('\n');
    const at = (l: string) => lines.indexOf(l);
    const expected = [
      '> GET /hop.bin HTTP/1.1',
      `> Host: ${host()}`,
      '> cookie: sid=[redacted]',
      '> authorization: Basic [redacted]',
      '< HTTP/1.1 302 Found',
      '< location: /b.bin',
      '< set-cookie: token=[redacted]; Path=/; HttpOnly',
      '> GET /b.bin HTTP/1.1',
      '< HTTP/1.1 200 OK',
      '< content-type: text/plain',
      '< content-length: 5',
    ];
    for (const l of expected) expect(lines, l).toContain(l);
    const order = expected.map(at);
    expect(order).toEqual([...order].sort((x, y) => x - y));
    expect(lines.filter((l) => l.startsWith('> user-agent: dlpool/'))).toHaveLength(2);
    expect(await fs.readFile(path.join(dir, 'hop.bin'), 'utf8')).toBe('bytes');
  });

  it('each attempt has its lines; with -j above 1 each line starts with its entry number, in order per entry', async () => {
    const dir = await tmpDir();
    const r = await get([`${server.url}/busy.bin`, `${server.url}/two.bin`, '-d', dir, '-v', '-q']);
    expect(r.code, r.stderr).toBe(0);
    const mine = (id: number) =>
      r.stderr
        .split('\n')
        .filter((l) => l.startsWith(`[${id}] `))
        .map((l) => l.slice(`[${id}] `.length))
        .filter((l) => /^(> GET|< HTTP)/.test(l));
    expect(mine(1)).toEqual([
      '> GET /busy.bin HTTP/1.1',
      '< HTTP/1.1 503 Service Unavailable',
      '> GET /busy.bin HTTP/1.1',
      '< HTTP/1.1 200 OK',
    ]);
    expect(mine(2)).toEqual(['> GET /two.bin HTTP/1.1', '< HTTP/1.1 200 OK']);
    // -q: no result lines, yet -v's lines (asked for by name, as curl -sv).
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n').filter((l) => l !== '' && !/^\[[12]\] [<>] /.test(l))).toEqual([]);
  });

  it("a hostile server's control bytes are shown escaped, never sent to the terminal", async () => {
    const dir = await tmpDir();
    const r = await get([`${hostileUrl}/x.bin`, '-d', dir, '-v', '-j', '1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
    expect(r.stderr).toContain('< HTTP/1.1 200 OK\\x1b]0;pwned\\x07\n');
    expect(r.stderr).toContain('< x-evil: a\\x9b31mred\n');
    expect(JSON.parse(r.stdout)).toMatchObject({ results: [{ status: 'downloaded' }] });
  });

  it('without -v, no header lines', async () => {
    const dir = await tmpDir();
    const r = await get([`${server.url}/quiet.bin`, '-d', dir]);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/^(\[\d+\] )?[<>] /m);
  });
});

const hasScript = spawnSync('script', ['--version']).status === 0;

describe.skipIf(!hasScript)('-v on a terminal', () => {
  it('plain lines, no bars: the header lines would tear them (curl -v drops its meter too)', async () => {
    const dir = await tmpDir();
    const args = [BIN, `${server.url}/drip.bin`, '-d', dir, '-v'].map((a) => `'${a}'`).join(' ');
    const raw = await new Promise<string>((resolve, reject) => {
      const child = spawn(
        'script',
        ['-qefc', `stty cols 120 rows 24; '${process.execPath}' ${args}`, '/dev/null'],
        {
          env: { ...process.env, CI: '', TERM: 'xterm', HOME: EMPTY_HOME, XDG_CONFIG_HOME: EMPTY_HOME },
          stdio: ['pipe', 'pipe', 'inherit'],
        },
      );
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.on('error', reject);
      child.on('close', () => resolve(out));
    });
    expect(raw).toContain('> GET /drip.bin HTTP/1.1');
    expect(raw).toContain('< content-length: 1000');
    expect(raw).not.toMatch(/[█░]/);
    expect(raw).toMatch(/downloaded {2}drip\.bin/);
  });
});
