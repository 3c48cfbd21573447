import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The CLI as users run it (compiled, bundled). */
export const BIN = fileURLToPath(new URL('../../bin/dlpool.js', import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `dlpool ARGS` to its end (no terminal, CI=true, no colour), stdin empty unless given. */
export function runCli(args: string[], opts: { cwd?: string; stdin?: string } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd,
      env: { ...process.env, CI: 'true', NO_COLOR: '1' },
      stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    if (opts.stdin !== undefined) child.stdin!.end(opts.stdin);
  });
}
