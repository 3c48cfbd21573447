import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli } from '../helpers/cli.js';
import { startServer, type TestServer } from '../helpers/http.js';
import { freePort, REDIS, startRedis } from '../helpers/redis.js';
import { listFiles, tmpDir } from '../helpers/tmp.js';

// A queue worker with -k: the self-signed server's files download, and the worker says so once, not per shard.

let redis: ChildProcess | undefined;
let redisUrl = '';
let server: TestServer;
beforeAll(async () => {
  if (!REDIS) return;
  const port = await freePort();
  redis = await startRedis(port);
  redisUrl = `redis://127.0.0.1:${port}`;
  server = await startServer((req, res) => res.end(`bytes of ${req.url}`), { tls: true });
});
afterAll(async () => {
  redis?.kill('SIGKILL');
  await server?.close();
});

describe.skipIf(!REDIS)('dlpool worker -k', () => {
  it('downloads every shard from a self-signed server and warns once', async () => {
    const dir = await tmpDir();
    const names = Array.from({ length: 8 }, (_, i) => `f${i}.bin`);
    const list = path.join(dir, 'list.txt');
    await fs.writeFile(list, names.map((n) => `${server.url}/${n}`).join('\n') + '\n');
    const queue = ['--queue', `k${Date.now()}${Math.random().toString(36).slice(2, 6)}`];
    const add = await runCli(['queue', 'add', list, '--redis', redisUrl, '--shard-size', '4', ...queue]);
    expect(add.code, add.stderr).toBe(0);
    const out = path.join(dir, 'out');
    const child = spawn(
      process.execPath,
      [BIN, 'worker', '--redis', redisUrl, '--list-root', os.tmpdir(), '-d', out, '--drain', '-k', ...queue],
      { env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout.resume();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, stderr).toBe(0);
    expect((await listFiles(out)).filter((f) => !f.startsWith('.dlpool')).sort()).toEqual(names);
    expect(await fs.readFile(path.join(out, 'f3.bin'), 'utf8')).toBe('bytes of /f3.bin');
    expect(stderr.split('\n').filter((l) => l.includes('warning'))).toEqual([
      'dlpool: warning: --insecure: TLS certificates are not checked: anyone on the network path can read ' +
        'and change the downloads',
    ]);
  }, 60_000);
});
