import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BIN, runCli } from '../helpers/cli.js';
import { startServer } from '../helpers/http.js';
import { tmpDir } from '../helpers/tmp.js';

/** Polls `test` every 20 ms for up to 15 s; false if it never held. */
async function until(test: () => boolean): Promise<boolean> {
  for (let i = 0; i < 750; i++) {
    if (test()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

/** Does process `pid` hold `file` open? */
function holds(pid: number, file: string): boolean {
  try {
    return fs.readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === file;
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
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
          /^dlpool: --speed-time: expected seconds above 0 and up to 2147483/m,
        ],
        [['--timeout', '1e10'], /^dlpool: --timeout: expected seconds above 0 and up to 2147483/m],
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
        "dlpool: --header: the value of 'X-A' holds a line break or control character (one header per -H)",
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
      expect(await until(() => holds(child.pid!, '/dev/zero'))).toBe(true);
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
