import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The CLI as users run it (compiled, bundled). */
export const BIN = fileURLToPath(new URL('../../bin/dlpool.js', import.meta.url));

/**
 * An empty home and XDG_CONFIG_HOME for every run: a developer's own ~/.config/dlpool/config must not change what
 * the tests see. A test that wants a config file sets either in `env`.
 */
export const EMPTY_HOME = mkdtempSync(path.join(os.tmpdir(), 'dlpool-home-'));

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  cwd?: string | undefined;
  /** Written to the CLI's stdin, which then ends; without it stdin is /dev/null. */
  stdin?: string | undefined;
  /** Run as this uid (and gid): a root test's way to make file modes bite. */
  uid?: number | undefined;
  /** Another copy of bin/dlpool.js. @default BIN */
  bin?: string | undefined;
  /** Variables set (a string) or removed (undefined) in the CLI's environment. */
  env?: Record<string, string | undefined> | undefined;
}

/**
 * Runs `dlpool ARGS` to its end as users run it (no terminal, CI=true, NO_COLOR): the one runner of the e2e tests.
 */
export function runCli(args: string[], opts: CliRunOptions = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [opts.bin ?? BIN, ...args], {
      cwd: opts.cwd,
      env: withEnv(
        { ...process.env, CI: 'true', NO_COLOR: '1', HOME: EMPTY_HOME, XDG_CONFIG_HOME: EMPTY_HOME },
        opts.env,
      ),
      stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      ...(opts.uid === undefined ? {} : { uid: opts.uid, gid: opts.uid }),
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    // A CLI that ends without reading all of its input closes the pipe: EPIPE here is its business, not the test's.
    if (opts.stdin !== undefined) child.stdin!.on('error', () => {}).end(opts.stdin);
  });
}

function withEnv(
  base: NodeJS.ProcessEnv,
  changes: Record<string, string | undefined> | undefined,
): NodeJS.ProcessEnv {
  for (const [k, v] of Object.entries(changes ?? {})) {
    if (v === undefined) delete base[k];
    else base[k] = v;
  }
  return base;
}
