import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { startServer, type TestServer } from '../helpers/http.js';
import { tmpDir } from '../helpers/tmp.js';

// Every command ends a run stopped by a signal the same way: SIGINT 130, SIGTERM 143, and never as a usage error.

const EXPECTED = { SIGINT: 130, SIGTERM: 143 } as const;

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  end: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(args: string[], cwd?: string): Run {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd,
    env: { ...process.env, CI: 'true', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const end = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => out, stderr: () => err, end };
}

/** True while a thread of `pid` is blocked opening a FIFO no one writes to. */
function waitsOnFifo(pid: number): boolean {
  try {
    return fs
      .readdirSync(`/proc/${pid}/task`)
      .some((t) => fs.readFileSync(`/proc/${pid}/task/${t}/wchan`, 'utf8') === 'wait_for_partner');
  } catch {
    return false;
  }
}

/** A folder with `fifo` (a FIFO nobody writes to yet) and `a.txt`. */
async function withFifo(): Promise<string> {
  const dir = await tmpDir();
  execFileSync('mkfifo', [path.join(dir, 'fifo')]);
  fs.writeFileSync(path.join(dir, 'a.txt'), 'a\n');
  return dir;
}

let servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

describe.each(['SIGINT', 'SIGTERM'] as const)('%s', (sig) => {
  it('verify, while it waits for its checksum file, ends with the code of the signal', async () => {
    const dir = await withFifo();
    const r = start(['verify', 'fifo', '--hash-pool', 'inline', '-w', '1'], dir);
    await expect.poll(() => waitsOnFifo(r.child.pid!), { timeout: 15_000, interval: 20 }).toBe(true);
    r.child.kill(sig);
    // The checksum file arrives only once the signal was sent.
    fs.writeFileSync(path.join(dir, 'fifo'), `${'a'.repeat(64)}  a.txt\n`);
    expect(await r.end, r.stderr()).toEqual({ code: EXPECTED[sig], signal: null });
  });

  it('hash, while it reads standard input, ends with the code of the signal', async () => {
    const dir = await withFifo();
    // Standard input is a FIFO this test holds open for writing: it never ends on its own.
    const input = fs.openSync(path.join(dir, 'fifo'), 'r+');
    try {
      const child = spawn(process.execPath, [BIN, 'hash', 'a.txt', '-', '--hash-pool', 'inline', '-w', '1'], {
        cwd: dir,
        env: { ...process.env, CI: 'true' },
        stdio: [input, 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
      const end = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
      // Digests come in argument order: a.txt's line means the run is on standard input.
      await expect.poll(() => out.includes('a.txt'), { timeout: 15_000, interval: 20 }).toBe(true);
      child.kill(sig);
      expect(await end, out).toEqual({ code: EXPECTED[sig], signal: null });
    } finally {
      fs.closeSync(input);
    }
  });

  it('bench, during its reference download, ends with the code of the signal, not as a usage error', async () => {
    let release: (() => void) | undefined;
    let asked: () => void = () => {};
    const requested = new Promise<void>((resolve) => (asked = resolve));
    const s = await startServer((_req, res) => {
      release = () => res.end('x');
      asked();
    });
    servers.push(s);
    const dir = await tmpDir();
    const list = path.join(dir, 'list.txt');
    fs.writeFileSync(list, `${s.url}/x.bin\n`);
    const r = start([
      'bench',
      list,
      '--modes',
      'async',
      '-j',
      '1',
      '-w',
      '1',
      '--hash-pool',
      'none',
      '--runs',
      '1',
    ]);
    await requested;
    r.child.kill(sig);
    // The reference download is answered only once the signal was sent.
    release!();
    const end = await r.end;
    expect(r.stderr()).not.toContain('--help');
    expect(end, r.stderr()).toEqual({ code: EXPECTED[sig], signal: null });
  });

  it('worker, while it waits for a Redis that never answers, ends with the code of the signal', async () => {
    // A "Redis" that takes the connection and says nothing: the worker is waiting once it has connected.
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as net.AddressInfo).port;
      const dir = await tmpDir();
      const r = start(
        [
          'worker',
          '--redis',
          `redis://127.0.0.1:${port}`,
          '--redis-timeout',
          '60',
          '--list-root',
          dir,
          '-d',
          dir,
        ],
        dir,
      );
      await expect.poll(() => sockets.length, { timeout: 15_000, interval: 20 }).toBeGreaterThan(0);
      r.child.kill(sig);
      const end = await r.end;
      expect(r.stderr()).not.toContain('--help');
      expect(end, r.stderr()).toEqual({ code: EXPECTED[sig], signal: null });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('serve ends with the code of the signal', async () => {
    const r = start(['serve', '--port', '0']);
    await expect.poll(() => r.stdout().includes('dlpool serve: http'), { timeout: 15_000 }).toBe(true);
    r.child.kill(sig);
    expect(await r.end).toEqual({ code: EXPECTED[sig], signal: null });
  });
});
