import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, runCli } from '../helpers/cli.js';
import { startServer } from '../helpers/http.js';
import { holdsOpen } from '../helpers/proc.js';
import { listFiles, tmpDir } from '../helpers/tmp.js';

/** Polls `test` every 20 ms for up to 15 s; false if it never held. */
async function until(test: () => boolean): Promise<boolean> {
  for (let i = 0; i < 750; i++) {
    if (test()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

describe('option values are checked before anything is sent', () => {
  it('refuses delays past what a timer holds and absurd rates, naming the flag', async () => {
    const s = await startServer((_req, res) => res.end('ok'));
    try {
      const dir = await tmpDir();
      for (const [args, message] of [
        [['--host-rate', '1e-300'], /^dlpool: --host-rate: expected requests per second from 1\/86400/m],
        [
          ['--speed-time', '99999999999'],
          /^dlpool: --speed-time: expected seconds from 0.001 to 2147483.647 \(24 days\)/m,
        ],
        [
          ['--timeout', '1e10'],
          /^dlpool: --timeout: expected seconds from 0.001 to 2147483.647 \(24 days\)/m,
        ],
      ] as const) {
        const r = await runCli([...args, '-d', dir, `${s.url}/a`]);
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(message);
        expect(r.stderr).not.toMatch(/TimeoutOverflowWarning/);
      }
      expect(s.requests).toHaveLength(0);
    } finally {
      await s.close();
    }
  });

  it('a CR/LF in -H is one usage error, not a failure per URL', async () => {
    const s = await startServer((_req, res) => res.end('ok'));
    try {
      const dir = await tmpDir();
      const r = await runCli(['-H', 'X-A: 1\r\nX-Evil: 2', '-d', dir, `${s.url}/a`, `${s.url}/b`]);
      expect(r.code).toBe(2);
      expect(r.stderr.split('\n')[0]).toBe(
        "dlpool: -H: the value of 'X-A' holds a line break, a control character or a character past U+00FF (one header per -H)",
      );
      expect(s.requests).toHaveLength(0);
    } finally {
      await s.close();
    }
  });

  it('HTTP_PROXY=host:port goes to that proxy; an unusable one is a usage error naming it', async () => {
    const proxy = await startServer((req, res) => res.end(`via proxy: ${req.url}`));
    try {
      const dir = await tmpDir();
      const ok = await runCli(['-d', dir, '-q', 'http://files.example.invalid/p.txt'], {
        env: { HTTP_PROXY: proxy.url.replace('http://', ''), http_proxy: undefined, NO_PROXY: undefined },
      });
      expect(ok.stderr).toBe('');
      expect(ok.code).toBe(0);
      expect(fs.readFileSync(`${dir}/p.txt`, 'utf8')).toBe('via proxy: http://files.example.invalid/p.txt');
      const bad = await runCli(['-d', dir, 'http://files.example.invalid/q.txt'], {
        env: { HTTP_PROXY: 'http://[::1', http_proxy: undefined },
      });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/^dlpool: HTTP_PROXY: not a proxy URL/m);
      expect(bad.stderr).not.toMatch(/internal error/);
    } finally {
      await proxy.close();
    }
  });
});

describe('interrupts', () => {
  it('the first SIGINT stops a list that never has a line end (/dev/zero)', async () => {
    const dir = await tmpDir();
    const child = spawn(process.execPath, [BIN, '/dev/zero', '-d', dir], {
      env: { ...process.env, CI: 'true', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('close', (code, signal) => resolve({ code, signal })),
    );
    // Bounded: a child that ignores the interrupt is killed, and the test fails on how it ended.
    const guard = setTimeout(() => child.kill('SIGKILL'), 15_000);
    try {
      expect(await until(() => holdsOpen(child.pid!, '/dev/zero'))).toBe(true);
      child.kill('SIGINT');
      const end = await ended;
      expect(end).toEqual({ code: 130, signal: null });
      expect(output).toMatch(/0 downloaded.*\(interrupted by SIGINT; .part files kept\)/);
      expect(output).not.toMatch(/interrupted again/);
    } finally {
      clearTimeout(guard);
      child.kill('SIGKILL');
    }
  });
});

/** `n` origins on 127.0.0.1 (one server per port), each answering with 4 KiB naming its path. */
async function manyOrigins(n: number): Promise<{ urls: string[]; close: () => Promise<void> }> {
  const servers: http.Server[] = [];
  const urls: string[] = [];
  for (let i = 0; i < n; i++) {
    const s = http.createServer((req, res) => {
      res.writeHead(200, { 'content-length': '4096' });
      res.end(Buffer.alloc(4096, req.url ?? ''));
    });
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    servers.push(s);
    urls.push(`http://127.0.0.1:${(s.address() as AddressInfo).port}/f${i}.bin`);
  }
  const close = async () => {
    await Promise.all(
      servers.map((s) => {
        s.closeAllConnections();
        return new Promise((r) => s.close(r));
      }),
    );
  };
  return { urls, close };
}

describe('the open-file limit', () => {
  it.each(['async', 'threads'])(
    '%s: -j 1000 over 500 origins under ulimit -n 200 lowers -j, says so once, and every file arrives',
    async (mode) => {
      const origins = await manyOrigins(500);
      try {
        const dir = await tmpDir();
        const list = path.join(dir, 'list.txt');
        fs.writeFileSync(list, `${origins.urls.join('\n')}\n`);
        const out = path.join(dir, 'out');
        const quote = (a: string) => `'${a}'`;
        const cmd = [
          process.execPath,
          BIN,
          '-j',
          '1000',
          '--mode',
          mode,
          '-w',
          '2',
          '--json',
          '-d',
          out,
          list,
        ]
          .map(quote)
          .join(' ');
        const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
          (resolve, reject) => {
            const child = spawn('sh', ['-c', `ulimit -n 200 && exec ${cmd}`], {
              env: { ...process.env, CI: 'true', NO_COLOR: '1' },
              stdio: ['ignore', 'pipe', 'pipe'],
            });
            let stdout = '';
            let stderr = '';
            child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
            child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
            child.on('error', reject);
            child.on('close', (code) => resolve({ code, stdout, stderr }));
          },
        );
        const warnings = run.stderr.split('\n').filter((l) => l.includes('warning'));
        expect(warnings).toEqual([
          expect.stringMatching(
            /^dlpool: warning: -j 1000 lowered to \d+: the open-file limit \(ulimit -n\) is 200$/,
          ),
        ]);
        expect(run.code).toBe(0);
        // Sized so that nothing even needed a retry (EMFILE would be retried, and counted here).
        expect(JSON.parse(run.stdout)).toMatchObject({ downloaded: 500, failed: 0, retries: 0 });
        const files = await listFiles(out);
        expect(files).toHaveLength(500);
        for (const i of [0, 137, 499]) {
          expect(fs.readFileSync(path.join(out, `f${i}.bin`))).toEqual(Buffer.alloc(4096, `/f${i}.bin`));
        }
      } finally {
        await origins.close();
      }
    },
    60_000,
  );

  it('a .part that cannot be opened for want of file descriptors (EMFILE) is retried, not failed', async () => {
    // One process holds the server and the library (dist/index.js, as users import it). The server, on the
    // first request, opens /dev/null until the process is out of descriptors, then answers: the answer arrives
    // on the open socket and the download's .part open fails with EMFILE. The 'retry' event frees them all.
    const dir = await tmpDir();
    const script = `
      import fs from 'node:fs';
      import http from 'node:http';
      import { download } from ${JSON.stringify(new URL('../../dist/index.js', import.meta.url).href)};
      const fillers = [];
      let requests = 0;
      const server = http.createServer((req, res) => {
        if (++requests === 1) {
          try { for (;;) fillers.push(fs.openSync('/dev/null', 'r')); } catch (err) { if (err.code !== 'EMFILE') throw err; }
        }
        res.end('0123456789');
      });
      await new Promise((r) => server.listen(0, '127.0.0.1', r));
      const retries = [];
      const summary = await download({
        entries: ['http://127.0.0.1:' + server.address().port + '/f.bin'],
        dir: process.argv[1],
        retry: { baseDelayMs: 10, maxDelayMs: 50 },
        onEvent: (e) => {
          if (e.type !== 'retry') return;
          retries.push({ code: e.error.code, errno: e.error.errno, filled: fillers.length > 0 });
          for (const fd of fillers.splice(0)) fs.closeSync(fd);
        },
      });
      server.close();
      console.log(JSON.stringify({ downloaded: summary.downloaded, failed: summary.failed, retries, requests }));
    `;
    const child = spawn(
      'sh',
      ['-c', 'ulimit -n 256 && exec "$0" --input-type=module -e "$1" "$2"', process.execPath, script, dir],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const code = await new Promise((r) => child.on('close', r));
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      downloaded: 1,
      failed: 0,
      retries: [{ code: 'ERR_DL_FILE', errno: 'EMFILE', filled: true }],
      requests: 2,
    });
    expect(fs.readFileSync(path.join(dir, 'f.bin'), 'utf8')).toBe('0123456789');
  });
});
