import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, runCli } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

/** How long a stopped server may take to exit before the test calls it a hang (it takes well under 1 s). */
const EXIT_BUDGET_MS = 10_000;

interface Serving {
  child: ChildProcess;
  url: string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started: ChildProcess[] = [];
const fifos: string[] = [];
const roots: string[] = [];

afterEach(async () => {
  for (const child of started.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  // A reader stuck opening a FIFO goes on once a writer opens it: leave no thread of ours blocked.
  for (const f of fifos.splice(0)) {
    try {
      fs.closeSync(fs.openSync(f, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
    } catch {
      // ENXIO: no reader waiting.
    }
  }
  for (const r of roots.splice(0)) await fsp.rm(r, { recursive: true, force: true });
});

/** `dlpool serve ARGS` started as users start it; resolves once it has printed its URL. */
async function serve(args: string[]): Promise<Serving> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', ...args], {
    env: { ...process.env, CI: 'true', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let out = '';
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /^dlpool serve: (http:\S+)\n/.exec(out);
      if (m) resolve(m[1]!);
    });
    void exited.then(() => reject(new Error(`serve exited before listening: ${err}`)));
  });
  return { child, url, stderr: () => err, exited };
}

/** Resolves with how the process ended, or with 'still running' once the budget is spent. */
function endOf(
  s: Serving,
): Promise<{ code: number | null; signal: NodeJS.Signals | null } | 'still running'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'still running'>((resolve) => {
    timer = setTimeout(() => resolve('still running'), EXIT_BUDGET_MS);
  });
  return Promise.race([s.exited, late]).finally(() => clearTimeout(timer));
}

/** Sends a GET and resolves once the request is on the wire; the answer (if any) is ignored. */
function openRequest(
  url: string,
  onResponse?: (res: http.IncomingMessage) => void,
): Promise<http.ClientRequest> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: new http.Agent({ keepAlive: true }) }, (res) => onResponse?.(res));
    req.on('error', () => {});
    req.on('finish', () => resolve(req));
  });
}

async function rootWithFifo(): Promise<string> {
  const root = await tmpDir('dlpool-serve-e2e-');
  roots.push(root);
  await fsp.writeFile(path.join(root, 'small.txt'), 'small\n');
  // Large enough that the server is left waiting on a full socket for a client that does not read.
  await fsp.writeFile(path.join(root, 'big.bin'), Buffer.alloc(32 * 1024 * 1024, 7));
  execFileSync('mkfifo', [path.join(root, 'fifo')]);
  fifos.push(path.join(root, 'fifo'));
  return root;
}

/** True once a thread of `pid` waits in the kernel for a FIFO's other end (Linux /proc: wchan). */
function waitsOnFifo(pid: number): boolean {
  try {
    return fs
      .readdirSync(`/proc/${pid}/task`)
      .some((t) => fs.readFileSync(`/proc/${pid}/task/${t}/wchan`, 'utf8') === 'wait_for_partner');
  } catch {
    return false;
  }
}

/**
 * Resolves with the FIFO request's status once it is answered, or with 'blocked opening the FIFO' once the server
 * is seen stuck there: either way the request has reached the server's open, so a signal sent now tests that state.
 */
async function answeredOrBlocked(pid: number, status: Promise<number>): Promise<number | string> {
  let answer: number | undefined;
  void status.then((n) => (answer = n));
  const deadline = performance.now() + EXIT_BUDGET_MS;
  while (answer === undefined && performance.now() < deadline) {
    if (waitsOnFifo(pid)) return 'blocked opening the FIFO';
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return answer ?? 'neither answered nor blocked';
}

describe('dlpool serve --root stops on a signal in every state', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal}: with a FIFO requested, a body stalled on a client that does not read, an idle keep-alive`, async () => {
      const root = await rootWithFifo();
      const s = await serve(['--root', root]);
      // An idle keep-alive connection, after a complete answer.
      await new Promise<void>((resolve) => {
        void openRequest(`${s.url}small.txt`, (res) => res.resume().on('end', resolve));
      });
      // A big body the client never reads: the server is left on backpressure.
      const stalled = await new Promise<http.IncomingMessage>((resolve) => {
        void openRequest(`${s.url}big.bin`, (res) => {
          res.pause();
          resolve(res);
        });
      });
      expect(stalled.statusCode).toBe(200);
      // The FIFO: a plain open of it waits for a writer for ever, in a thread of libuv's pool.
      const fifoStatus = new Promise<number>((resolve) => {
        void openRequest(`${s.url}fifo`, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
      });
      const fifo = await answeredOrBlocked(s.child.pid!, fifoStatus);
      s.child.kill(signal);
      const end = await endOf(s);
      stalled.destroy();
      expect(end).toEqual({ code: signal === 'SIGINT' ? 130 : 143, signal: null });
      expect(s.stderr()).toBe('dlpool serve: stopped\n');
      expect(fifo).toBe(404);
    });
  }
});

describe('dlpool serve --root that is no folder', () => {
  it('says so by the option name, exit 2 (not as a failure to listen)', async () => {
    const dir = await tmpDir('dlpool-serve-e2e-');
    roots.push(dir);
    await fsp.writeFile(path.join(dir, 'file'), 'x');
    for (const root of [path.join(dir, 'missing'), path.join(dir, 'file')]) {
      const r = await runCli(['serve', '--root', root]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`dlpool: --root: not a directory: ${root}\nTry 'dlpool serve --help'.\n`);
    }
  });
});

describe('dlpool serve --dotfiles', () => {
  it('serves hidden files only when given, and only with --root (exit 2 without)', async () => {
    const root = await tmpDir('dlpool-serve-e2e-');
    roots.push(root);
    await fsp.writeFile(path.join(root, '.env'), 'TOKEN=1\n');
    const get = async (url: string) => {
      const r = await fetch(url);
      return { status: r.status, body: await r.text() };
    };
    const hidden = await serve(['--root', root]);
    expect(await get(`${hidden.url}.env`)).toEqual({ status: 404, body: 'not found\n' });
    hidden.child.kill('SIGTERM');
    const shown = await serve(['--root', root, '--dotfiles']);
    expect(await get(`${shown.url}.env`)).toEqual({ status: 200, body: 'TOKEN=1\n' });
    shown.child.kill('SIGTERM');
    expect(await hidden.exited).toEqual({ code: 143, signal: null });
    expect(await shown.exited).toEqual({ code: 143, signal: null });
    const alone = await runCli(['serve', '--dotfiles']);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toBe(
      "dlpool: --dotfiles: serves hidden files under --root; give --root DIR too\nTry 'dlpool serve --help'.\n",
    );
  });
});

describe('dlpool serve (synthetic files) stops on a signal while it computes checksums', () => {
  it('SIGTERM during /sums/ of 100 files of 1 GiB: answered at once, stopped at once', async () => {
    const s = await serve([]);
    // Each digest takes seconds; all of them, minutes: the answer must stream rather than hold the server.
    const headers = new Promise<number>((resolve) => {
      http
        .get(`${s.url}sums/100x1G`, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on('error', () => {});
    });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve('no headers'), EXIT_BUDGET_MS);
    });
    const status = await Promise.race([headers, late]).finally(() => clearTimeout(timer));
    s.child.kill('SIGTERM');
    const end = await endOf(s);
    expect(status).toBe(200);
    expect(end).toEqual({ code: 143, signal: null });
  });
});
