import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { download } from '../../src/download.js';
import { startServer } from '../helpers/http.js';
import { tmpDir, engine, MODES } from '../helpers/tmp.js';

describe.each(MODES)('%s mode', (mode) => {
  describe('headers', () => {
    it('sends -H headers, the User-Agent, and basic auth from URL credentials', async () => {
      const s = await startServer((_req, res) => res.end('ok'));
      try {
        const dir = await tmpDir();
        const url = `${s.url.replace('http://', 'http://ann:p%40ss@')}/h`;
        const summary = await download({
          ...engine(mode),
          entries: [url],
          dir,
          headers: ['X-Token: abc'],
          userAgent: 'tester/1',
        });
        expect(summary.downloaded).toBe(1);
        expect(summary.results[0]?.url).toBe(`${s.url}/h`);
        const h = s.requests[0]?.headers;
        expect(h?.['x-token']).toBe('abc');
        expect(h?.['user-agent']).toBe('tester/1');
        expect(h?.authorization).toBe(`Basic ${Buffer.from('ann:p@ss').toString('base64')}`);
      } finally {
        await s.close();
      }
    });
  });

  describe('proxies', () => {
    it('sends http:// requests through HTTP_PROXY, and straight to hosts in NO_PROXY', async () => {
      const proxy = await startServer((req, res) => res.end(`via proxy: ${req.url}`));
      const direct = await startServer((_req, res) => res.end('direct'));
      try {
        const dir = await tmpDir();
        const summary = await download({
          ...engine(mode),
          entries: ['http://files.example.invalid/data.txt', `${direct.url}/d.txt`],
          dir,
          proxy: { httpProxy: proxy.url, noProxy: '127.0.0.1' },
          retries: 0,
          timeoutMs: 5000,
          connectTimeoutMs: 5000,
        });
        expect(summary.failed).toBe(0);
        // A forward proxy receives the absolute URL.
        expect(proxy.requests.map((r) => r.path)).toEqual(['http://files.example.invalid/data.txt']);
        expect(await fs.readFile(path.join(dir, 'data.txt'), 'utf8')).toBe(
          'via proxy: http://files.example.invalid/data.txt',
        );
        expect(await fs.readFile(path.join(dir, 'd.txt'), 'utf8')).toBe('direct');
      } finally {
        await proxy.close();
        await direct.close();
      }
    });
  });
});

describe('proxy and header values, checked before anything is sent', () => {
  it('takes HTTP_PROXY=host:port without a scheme as http://, as curl does', async () => {
    const proxy = await startServer((req, res) => res.end(`via proxy: ${req.url}`));
    try {
      const dir = await tmpDir();
      const summary = await download({
        entries: ['http://files.example.invalid/data.txt'],
        dir,
        env: { HTTP_PROXY: proxy.url.replace('http://', '') },
        retries: 0,
      });
      expect(summary.failed).toBe(0);
      expect(proxy.requests.map((r) => r.path)).toEqual(['http://files.example.invalid/data.txt']);
      expect(await fs.readFile(path.join(dir, 'data.txt'), 'utf8')).toBe(
        'via proxy: http://files.example.invalid/data.txt',
      );
    } finally {
      await proxy.close();
    }
  });

  it('a proxy value that cannot be used is one usage error naming the variable, not the value', async () => {
    const run = (env: Record<string, string>) =>
      download({ entries: ['http://files.example.invalid/x'], dir: '/nonexistent', env });
    await expect(run({ HTTP_PROXY: 'http://us:secret@[::1' })).rejects.toThrow(
      /^HTTP_PROXY: not a proxy URL \(expected http:\/\/HOST:PORT/,
    );
    await expect(run({ https_proxy: 'socks5://127.0.0.1:1080' })).rejects.toThrow(
      /^https_proxy: socks5: proxies are not supported/,
    );
    await expect(run({ HTTP_PROXY: 'http://us:secret@[::1' })).rejects.not.toThrow(/secret/);
  });

  it('a CR or LF in a -H value is one usage error up front, not a failure of every URL', async () => {
    const s = await startServer((_req, res) => res.end('ok'));
    try {
      const dir = await tmpDir();
      for (const headers of [
        ['X-A: 1\r\nX-Evil: 2'],
        ['X-A: 1\nX-Evil: 2'],
        { 'x-a': 'v\0' },
        ['X-A: \u65e5\u672c'], // undici cannot send it: refused once, not on every request
      ]) {
        await expect(download({ entries: [`${s.url}/a`], dir, headers })).rejects.toMatchObject({
          code: 'ERR_DL_USAGE',
          message: expect.stringMatching(/^headers: the value of '[Xx]-[Aa]' holds a line break/),
        });
      }
      expect(s.requests).toHaveLength(0);
    } finally {
      await s.close();
    }
  });
});

describe('library entry point', () => {
  it("`import { download } from 'dlpool'` resolves to the built package", async () => {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const code =
      "import { download, normalizeOptions, DEFAULT_WORKERS } from 'dlpool'; console.log(typeof download, normalizeOptions({}).concurrency, DEFAULT_WORKERS >= 1);";
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', code], { cwd: root });
      let s = '';
      child.stdout.on('data', (d: Buffer) => {
        s += d.toString();
      });
      child.on('error', reject);
      child.on('close', () => resolve(s.trim()));
    });
    expect(out).toBe('function 16 true');
  });
});
