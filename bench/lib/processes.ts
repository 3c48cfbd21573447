import { type ChildProcess, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import type { Env } from './env.js';
import { sleep } from './log.js';
import { DLPOOL_BIN } from './paths.js';
import { killTree, type Scope } from './scope.js';

export const HOST = '127.0.0.1';

/** The environment of every child: benchmark traffic goes to 127.0.0.1 only, never through a proxy. */
export function childEnv(env: Env, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env, NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost' };
  for (const k of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY']) {
    delete out[k];
  }
  return { ...out, ...extra };
}

/** An executable file named `name` on PATH (or in `extraDirs`). */
export function findExecutable(
  env: Env,
  name: string,
  extraDirs: readonly string[] = [],
): string | undefined {
  for (const d of [...(env.PATH ?? '').split(':').filter(Boolean), ...extraDirs]) {
    const p = path.join(d, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {}
  }
  return undefined;
}

/** The first line a tool prints for `args` (its version), or undefined when it does not run. */
export function toolVersion(cmd: string, args: readonly string[]): string | undefined {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? (r.stdout || r.stderr).split('\n')[0]?.trim() : undefined;
}

/** GNU time, for the CPU and peak RSS of a child and everything it waits for; undefined when absent. */
export const GNU_TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, HOST, () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/** Waits until `url` answers 200; fails when `child` exits first or after `timeoutMs`. */
export async function waitHttp(url: string, child: ChildProcess, what: string, timeoutMs = 15_000) {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}) before answering`);
    }
    if ((await httpStatus(url)) === 200) return;
    await sleep(100);
  }
  throw new Error(`${what} did not answer 200 for ${url} within ${timeoutMs / 1000} s`);
}

export interface DlpoolServe {
  /** The server's base URL, ending in '/'. */
  url: string;
  child: ChildProcess;
}

/**
 * `dlpool serve --port 0 ARGS` in a process of its own (its CPU and memory are not the client's), resolved with
 * the URL it prints. Its stderr goes to `logFile` when given, else to ours.
 */
export async function startDlpoolServe(
  scope: Scope,
  o: { args?: readonly string[]; env: Env; logFile?: string | undefined },
): Promise<DlpoolServe> {
  const fd = o.logFile === undefined ? 'inherit' : fs.openSync(o.logFile, 'w');
  const child = scope.spawn(process.execPath, [DLPOOL_BIN, 'serve', '--port', '0', ...(o.args ?? [])], {
    env: childEnv(o.env),
    stdio: ['ignore', 'pipe', fd],
  });
  if (typeof fd === 'number') fs.closeSync(fd);
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error('dlpool serve printed no URL within 15 s')), 15_000);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      const m = /dlpool serve: (http:\/\/\S+?)\/?\n/.exec(buf);
      if (m) {
        clearTimeout(timer);
        resolve(`${m[1]}/`);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const tail = o.logFile
        ? fs.readFileSync(o.logFile, 'utf8').trim().split('\n').slice(-5).join('\n')
        : '';
      reject(
        new Error(
          `dlpool serve exited (${code ?? signal}) before printing its URL${tail ? `:\n${tail}` : ''}`,
        ),
      );
    });
  });
  return { url, child };
}

/** What one timed child measured. CPU and RSS come from /usr/bin/time when it is there. */
export interface TimedRun {
  wallS: number;
  /** Exit code, or null when a signal ended it (then `signal`). */
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  userS?: number | undefined;
  sysS?: number | undefined;
  /** userS + sysS. */
  cpuS?: number | undefined;
  maxRssKiB?: number | undefined;
  /** The last 64 KiB of stdout and stderr together, when neither went to a log file. */
  output: string;
}

export interface TimedOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string | undefined;
  /** stdout and stderr go here; otherwise they are kept in `output`. */
  logFile?: string | undefined;
  /** Killed (its whole process group) after this many seconds; the run then has timedOut. */
  timeoutS?: number | undefined;
  /** Under /usr/bin/time (when present) for CPU and peak RSS. @default true */
  measure?: boolean;
}

let timeFileSeq = 0;

/** Runs argv to its end and times it: wall clock from here, CPU and peak RSS through GNU time. */
export function runTimed(scope: Scope, argv: readonly string[], o: TimedOptions): Promise<TimedRun> {
  const gnuTime = o.measure === false ? undefined : GNU_TIME;
  const timeFile = path.join(scope.scratch(), `${++timeFileSeq}.time`);
  const full = gnuTime ? [gnuTime, '-f', '%e %U %S %M', '-o', timeFile, ...argv] : [...argv];
  const fd = o.logFile === undefined ? 'pipe' : fs.openSync(o.logFile, 'w');
  const t0 = process.hrtime.bigint();
  const child = scope.spawn(full[0]!, full.slice(1), { stdio: ['ignore', fd, fd], env: o.env, cwd: o.cwd });
  if (typeof fd === 'number') fs.closeSync(fd);
  let output = '';
  const keep = (d: string) => (output = (output + d).slice(-65_536));
  child.stdout?.setEncoding('utf8').on('data', keep);
  child.stderr?.setEncoding('utf8').on('data', keep);
  return new Promise((resolve) => {
    let timedOut = false;
    const timer =
      o.timeoutS === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            killTree(child, 'SIGKILL');
          }, o.timeoutS * 1000);
    const done = (code: number | null, signal: NodeJS.Signals | null) => {
      const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
      clearTimeout(timer);
      resolve({ wallS, code, signal, timedOut, output, ...(gnuTime ? readTimeFile(timeFile) : {}) });
    };
    child.once('error', (err) => {
      keep(`spawn failed: ${err.message}\n`);
      if (o.logFile) fs.appendFileSync(o.logFile, `spawn failed: ${err.message}\n`);
      done(127, null);
    });
    // 'close': the exit and the end of its output.
    child.once('close', done);
  });
}

/** The last line of GNU time's `-f '%e %U %S %M'` output (a failed command adds a line before it). */
function readTimeFile(file: string): Pick<TimedRun, 'userS' | 'sysS' | 'cpuS' | 'maxRssKiB'> {
  try {
    const last = fs.readFileSync(file, 'utf8').trim().split('\n').pop()!.split(/\s+/).map(Number);
    if (last.length !== 4 || !last.every(Number.isFinite)) return {};
    const [, userS, sysS, maxRssKiB] = last as [number, number, number, number];
    return { userS, sysS, cpuS: Math.round((userS + sysS) * 100) / 100, maxRssKiB };
  } catch {
    return {};
  } finally {
    fs.rmSync(file, { force: true });
  }
}
