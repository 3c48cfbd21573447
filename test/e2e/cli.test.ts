import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type RunningServer } from '../../src/server/index.js';
import { listFiles, tmpDir } from '../helpers/tmp.js';
import { runCli } from '../helpers/cli.js';
import { selfSignedCertificate } from '../../bench/lib/tls.js';

const run = (args: string[], opts: { stdin?: string; cwd?: string } = {}) => runCli(args, opts);

let server: RunningServer;
beforeAll(async () => {
  server = await createServer({});
});
afterAll(async () => {
  await server.close();
});

describe('dlpool CLI', () => {
  it('exits 0 when everything downloads; plain lines have no escape codes', async () => {
    const dir = await tmpDir();
    const r = await run([`${server.url}gen/1000/a.bin`, `${server.url}gen/2000/b.bin`, '-d', dir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await listFiles(dir)).toEqual(['a.bin', 'b.bin']);
    expect(r.stdout).toMatch(/^downloaded {2}a\.bin {2}\(1000 B/m);
    expect(r.stdout).toMatch(/dlpool: 2 downloaded, 0 skipped \(already present\), 0 failed/);
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/\x1b/);
  });

  it('`get` and the default command are the same; a second run reports files already present', async () => {
    const dir = await tmpDir();
    const url = `${server.url}gen/10/same.bin`;
    expect((await run(['get', url, '-d', dir])).code).toBe(0);
    const again = await run([url, '-d', dir]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^skipped {5}same\.bin/m);
  });

  it('exits 1 when an entry fails, naming FILE:LINE for bad list lines, and downloads the rest', async () => {
    const dir = await tmpDir();
    const list = path.join(dir, 'list.txt');
    await fs.writeFile(list, `${server.url}gen/10/ok.bin\nhttp://[bad\n${server.url}nope/x\n`);
    const out = path.join(dir, 'out');
    const r = await run([list, '-d', out, '--retries', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${list}:2: `);
    expect(r.stderr).toMatch(
      /404 Not Found: GET http:\/\/127\.0\.0\.1:\d+\/nope\/x \(attempt 1, not retried\)/,
    );
    expect(await listFiles(out)).toEqual(['ok.bin']);
  });

  it('a hostile list (BOM, CRLF, bad URLs, ftp:, file:, binary garbage, a 100 KB line): one FILE:LINE error per bad line, the rest download', async () => {
    const dir = await tmpDir();
    const list = path.join(dir, 'hostile.txt');
    const u = server.url;
    await fs.writeFile(
      list,
      Buffer.concat([
        Buffer.from(`\ufeff${u}gen/10/first.bin\r\n`), // 1
        Buffer.from('not a url\r\n'), // 2
        Buffer.from('ftp://example.com/x.iso\r\n'), // 3
        Buffer.from('file:///etc/passwd\r\n'), // 4
        Buffer.from([0x00, 0xff, 0xfe, 0x1b, 0x5b, 0x32, 0x4a, 0x0d, 0x0a]), // 5: NUL, invalid UTF-8, ESC[2J
        Buffer.from(`${u}gen/10/${'y'.repeat(100_000)}\r\n`), // 6
        Buffer.from(`${u}gen/10/second.bin\r\n`), // 7
        Buffer.from('http://[::1\r\n'), // 8
        Buffer.from(`${u}gen/10/third.bin`), // 9, no final newline
      ]),
    );
    const out = path.join(dir, 'out');
    const r = await run([list, '-d', out, '--progress', 'none']);
    expect(r.code).toBe(1);
    const errors = r.stderr.split('\n').filter((l) => l.includes(`${list}:`));
    expect(errors.map((l) => /hostile\.txt:(\d+):/.exec(l)?.[1])).toEqual(['2', '3', '4', '5', '6', '8']);
    // One line each, no terminal escapes from the garbage, and never the 100 KB line echoed whole.
    for (const l of errors) expect(l.length).toBeLessThan(400);
    expect(r.stderr).not.toMatch(/\x1b/);
    expect(await listFiles(out)).toEqual(['first.bin', 'second.bin', 'third.bin']);
  });

  it('--progress bars without a terminal prints plain lines, failures included', async () => {
    const dir = await tmpDir();
    const r = await run([
      `${server.url}gen/10/ok.bin`,
      `${server.url}nope/x`,
      '-d',
      dir,
      '--progress',
      'bars',
      '--retries',
      '0',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^downloaded {2}ok\.bin/m);
    expect(r.stderr).toMatch(/404 Not Found: GET .*nope\/x/);
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/\{label\}|\x1b/);
  });

  it('exits 2 for a list file that cannot be read, and downloads nothing', async () => {
    const dir = await tmpDir();
    const r = await run([`${server.url}gen/10/never.bin`, path.join(dir, 'missing.txt'), '-d', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing\.txt/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(await listFiles(dir)).toEqual([]);
  });

  it('a manifest that cannot be written (a full disk: /dev/full) fails the run with its path, -q and --json too', async () => {
    const dir = await tmpDir();
    for (const extra of [[], ['-q'], ['--json']]) {
      const out = path.join(dir, `out${extra.join('')}`);
      const r = await run([`${server.url}gen/1K/a.bin`, '-d', out, '--manifest', '/dev/full', ...extra]);
      expect(r.code, extra.join(' ')).toBe(1);
      expect(r.stderr).toContain("cannot write manifest '/dev/full': No space left on device [ERR_DL_FILE]");
      // The download itself is complete.
      expect(await listFiles(out)).toEqual(['a.bin']);
      if (extra[0] === '--json') expect(JSON.parse(r.stdout).errors[0].code).toBe('ERR_DL_FILE');
    }
  });

  it('terminal control sequences from a server never reach the terminal (a hostile Content-Range)', async () => {
    const body = Buffer.alloc(2 * 1024 * 1024, 3);
    // Ranges are promised, then answered with a Content-Range holding raw 8-bit CSIs (0x9b: ESC [ to a
    // terminal); Node's server refuses to send ESC itself in a header, the attack pass used raw TCP for that.
    const hostile = http.createServer((req, res) => {
      if (req.headers.range) {
        res.writeHead(206, { 'content-range': 'bytes 0-1/2\u009b41m\u009b2J', 'content-length': '2' });
        res.end(body.subarray(0, 2));
        return;
      }
      res.writeHead(200, { 'content-length': String(body.length), 'accept-ranges': 'bytes', etag: '"v1"' });
      res.end(body);
    });
    await new Promise<void>((r) => hostile.listen(0, '127.0.0.1', r));
    try {
      const { port } = hostile.address() as AddressInfo;
      const dir = await tmpDir();
      const r = await run([
        `http://127.0.0.1:${port}/big.bin`,
        '-d',
        dir,
        '-x',
        '2',
        '--min-split-size',
        '1M',
        '--retries',
        '0',
      ]);
      expect(r.stderr + r.stdout).toMatch(/Content-Range/);
      expect(r.stderr + r.stdout).not.toMatch(/[\u001b\u0007\u009b]/);
      expect(r.stderr).toContain('\\x9b41m\\x9b2J');
    } finally {
      hostile.closeAllConnections();
      await new Promise((r) => hostile.close(r));
    }
  });

  it('a certificate subject with terminal sequences is printed, not obeyed (hostname mismatch message)', async (t) => {
    const dir = await tmpDir();
    // A CA that dlpool trusts, for a name that is not the host's: Node's error quotes the certificate's CN.
    const made = selfSignedCertificate(dir, '/CN=evil\u001b]2;pwned\u0007\u001b[41mred');
    if ('error' in made) return t.skip('openssl cannot make the test certificate here');
    const { key, cert } = made;
    const server = https.createServer(
      { key: await fs.readFile(key), cert: await fs.readFile(cert) },
      (_q, r) => r.end('x'),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      const r = await run([
        `https://localhost:${port}/a.bin`,
        '-d',
        dir,
        '--ca-certificate',
        cert,
        '--retries',
        '0',
      ]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/ERR_DL_TLS/);
      expect(r.stderr + r.stdout).not.toMatch(/[\u001b\u0007]/);
      expect(r.stderr).toContain('\\x1b]2;pwned\\x07');
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('exits 2 for a bad option value, naming the option as typed (the flag, not the library key)', async () => {
    const r = await run(['-j', '0', `${server.url}gen/1/x`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^dlpool: -j: expected a whole number from 1 to 10000, got 0$/m);
    const h = await run(['-H', 'no colon', `${server.url}gen/1/x`]);
    expect(h.stderr).toMatch(/^dlpool: -H: expected "Name: value"/m);
  });

  it('reads a list from stdin with -', async () => {
    const dir = await tmpDir();
    const r = await run(['-', '-d', dir, '-q'], {
      stdin: `${server.url}gen/5/in1\n# comment\n${server.url}gen/6/in2\n`,
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(await listFiles(dir)).toEqual(['in1', 'in2']);
  });

  it('--json prints exactly one JSON document on stdout', async () => {
    const dir = await tmpDir();
    const r = await run([
      `${server.url}gen/100/j.bin`,
      `${server.url}missing`,
      '-d',
      dir,
      '--json',
      '--retries',
      '0',
    ]);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as {
      downloaded: number;
      failed: number;
      results: Record<string, unknown>[];
    };
    expect(doc).toMatchObject({ downloaded: 1, failed: 1 });
    const byStatus = Object.fromEntries(doc.results.map((x) => [x['status'], x]));
    expect(byStatus['downloaded']).toMatchObject({
      url: `${server.url}gen/100/j.bin`,
      path: 'j.bin',
      bytes: 100,
      attempts: 1,
      error: null,
    });
    expect(byStatus['failed']).toMatchObject({ path: 'missing', error: { code: 'ERR_DL_HTTP_STATUS' } });
    expect(typeof byStatus['failed']?.['ms']).toBe('number');
  });

  it('never prints URL credentials', async () => {
    const dir = await tmpDir();
    const url = `${server.url.replace('http://', 'http://user:s3cret@')}missing`;
    const r = await run([url, '-d', dir, '--retries', '0', '--json']);
    expect(r.code).toBe(1);
    expect(`${r.stdout}${r.stderr}`).not.toContain('s3cret');
  });
});

describe('dlpool CLI and its environment', () => {
  it('HTTP_PROXY in the environment sends http:// requests through the proxy; NO_PROXY hosts go direct', async () => {
    const seen: string[] = [];
    const proxy = http.createServer((req, res) => {
      seen.push(req.url ?? '');
      res.writeHead(200, { 'content-length': '9' }).end('via proxy');
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      const dir = await tmpDir();
      const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      const clear = Object.fromEntries(
        ['http_proxy', 'https_proxy', 'no_proxy', 'HTTPS_PROXY', 'ALL_PROXY', 'all_proxy'].map((k) => [
          k,
          undefined,
        ]),
      );
      const r = await runCli(['get', 'http://files.example.invalid/data.txt', '-d', dir, '-q'], {
        env: { ...clear, HTTP_PROXY: url, NO_PROXY: '' },
      });
      expect(r.code, r.stderr).toBe(0);
      expect(seen).toEqual(['http://files.example.invalid/data.txt']);
      expect(await fs.readFile(path.join(dir, 'data.txt'), 'utf8')).toBe('via proxy');
    } finally {
      await new Promise((r) => proxy.close(r));
    }
  });
});
