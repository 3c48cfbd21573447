import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import net from 'node:net';

/** The redis-server the queue tests start (installed by .ci/run), or '' when there is none. */
export const REDIS = (() => {
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
})();

/** A port nothing listens on (a moment ago): for servers of a test's own, and for a Redis that is not there. */
export async function freePort(): Promise<number> {
  const s = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => s.once('listening', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/**
 * A redis-server on `port`, with persistence off, or (`aof`) an append-only file in that folder; `extra` are more
 * of its flags (`--requirepass PW`).
 */
export async function startRedis(port: number, aof?: string, extra: string[] = []): Promise<ChildProcess> {
  const persistence = aof
    ? ['--dir', aof, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '']
    : ['--save', '', '--appendonly', 'no'];
  const child = spawn(REDIS, ['--port', String(port), '--bind', '127.0.0.1', ...persistence, ...extra], {
    stdio: 'ignore',
  });
  // Up to 15 s on a loaded machine; a Redis that never came up is said here, not as a worker failing later.
  for (let i = 0; i < 150; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => (c.end(), resolve(true)));
      c.on('error', () => resolve(false));
    });
    if (ok) return child;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not listen on port ${port} within 15 s`);
}
