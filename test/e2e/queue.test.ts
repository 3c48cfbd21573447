import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli } from '../helpers/cli.js';
import { startServer, type TestServer } from '../helpers/http.js';
import { freePort, REDIS, startRedis } from '../helpers/redis.js';
import { listFiles, tmpDir } from '../helpers/tmp.js';

/** Queue mode against a real redis-server (installed by .ci/run) and real worker processes. */

// Above the small-body size (256 KiB), so a download writes its .part as bytes come.
const body = (name: string) => Buffer.alloc(320 * 1024, name);

let redis: ChildProcess | undefined;
let redisUrl = '';
let server: TestServer;
beforeAll(async () => {
  if (!REDIS) return;
  const port = await freePort();
  redis = await startRedis(port);
  redisUrl = `redis://127.0.0.1:${port}`;
  // Each file trickles out over ~250 ms, so a shard takes a while and a worker can be killed inside one.
  server = await startServer((req, res) => {
    const b = body(req.url ?? '');
    res.writeHead(200, { 'content-length': String(b.length), 'accept-ranges': 'bytes' });
    let i = 0;
    const t = setInterval(() => {
      res.write(b.subarray(i, i + 32768));
      i += 32768;
      if (i >= b.length) {
        clearInterval(t);
        res.end();
      }
    }, 25);
    res.on('close', () => clearInterval(t));
  });
});
afterAll(async () => {
  redis?.kill('SIGKILL');
  await server?.close();
});

/** A worker that reads lists anywhere under the temporary folder (each test's list is in a folder there). */
function worker(args: string[], url = redisUrl): ChildProcess {
  return spawn(process.execPath, [BIN, 'worker', '--redis', url, '--list-root', os.tmpdir(), ...args], {
    env: { ...process.env, CI: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** A list of `n` files, added as shards of 4 to a queue of its own; returns the list and the queue flags. */
async function added(
  dir: string,
  n: number,
  url = redisUrl,
): Promise<{ list: string; names: string[]; queue: string[] }> {
  const list = path.join(dir, 'list.txt');
  const names = Array.from({ length: n }, (_, i) => `f${i}.bin`);
  await fs.writeFile(list, names.map((x) => `${server.url}/${x}`).join('\n') + '\n');
  const queue = ['--queue', `t${Date.now()}${Math.random().toString(36).slice(2, 6)}`];
  const add = await runCli(['queue', 'add', list, '--redis', url, '--shard-size', '4', ...queue]);
  expect(add.code, add.stderr).toBe(0);
  return { list, names, queue };
}

/** Waits until some .part is on disk under `dir` (a worker is inside a shard). */
async function partOnDisk(dir: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const files = await listFiles(dir).catch(() => [] as string[]);
    if (files.some((f) => f.endsWith('.part'))) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('no worker started a download');
}

async function finished(child: ChildProcess): Promise<{ code: number | null; out: string }> {
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, out };
}

async function expectAll(out: string, names: string[]): Promise<void> {
  const files = (await listFiles(out)).filter((f) => !f.startsWith('.dlpool'));
  expect(files.sort()).toEqual([...names].sort());
  for (const n of names) expect((await fs.readFile(path.join(out, n))).equals(body(`/${n}`))).toBe(true);
}

describe.skipIf(!REDIS)('queue mode on Redis (BullMQ)', () => {
  it('SIGTERM hands the shard back (waiting, no attempt spent) and exits 143; the next worker finishes it', async () => {
    const dir = await tmpDir();
    const { names, queue } = await added(dir, 8);
    const out = path.join(dir, 'out');
    const a = worker(['-d', out, '-j', '4', ...queue]);
    const ended = finished(a);
    await partOnDisk(out);
    a.kill('SIGTERM');
    const { code } = await ended;
    expect(code).toBe(143);
    const status = JSON.parse(
      (await runCli(['queue', 'status', '--redis', redisUrl, '--json', ...queue])).stdout,
    );
    expect(status).toMatchObject({ active: 0, failed: 0, delayed: 0 });
    expect(status.waiting).toBeGreaterThanOrEqual(1);
    const b = await finished(worker(['-d', out, '-j', '4', '--drain', ...queue]));
    expect(b.code, b.out).toBe(0);
    await expectAll(out, names);
  }, 60_000);

  it('Redis gone for a few seconds (stopped) stalls a worker, which then goes on and finishes', async () => {
    const dir = await tmpDir();
    const { names, queue } = await added(dir, 12);
    const out = path.join(dir, 'out');
    const b = worker(['-d', out, '-j', '4', '--lock', '20', '--drain', ...queue]);
    const ended = finished(b);
    await partOnDisk(out);
    redis!.kill('SIGSTOP');
    await new Promise((r) => setTimeout(r, 3000));
    redis!.kill('SIGCONT');
    const { code, out: log } = await ended;
    expect(code, log).toBe(0);
    await expectAll(out, names);
  }, 60_000);

  it('Redis killed and restarted (from its append-only file) while a worker runs: it goes on and finishes', async () => {
    const dir = await tmpDir();
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    let own = await startRedis(port, dir);
    try {
      const { names, queue } = await added(dir, 12, url);
      const out = path.join(dir, 'out');
      const ended = finished(worker(['-d', out, '-j', '4', '--lock', '20', '--drain', ...queue], url));
      await partOnDisk(out);
      own.kill('SIGKILL');
      await new Promise((r) => own.once('exit', r));
      await new Promise((r) => setTimeout(r, 1500));
      own = await startRedis(port, dir);
      const { code, out: log } = await ended;
      expect(code, log).toBe(0);
      await expectAll(out, names);
      const status = await runCli(['queue', 'status', '--redis', url, '--json', ...queue]);
      expect(JSON.parse(status.stdout)).toMatchObject({
        waiting: 0,
        active: 0,
        failed: 0,
        done: 3,
        urls: 12,
      });
    } finally {
      own.kill('SIGKILL');
    }
  }, 60_000);

  it('a list edited after it was added is refused, naming it (the shard fails for good; --drain exits 1)', async () => {
    const dir = await tmpDir();
    const { list, queue } = await added(dir, 8);
    // Line 2 edited to the same length: shard 0's bytes are not those planned (shard 1's still are).
    const text = await fs.readFile(list, 'utf8');
    await fs.writeFile(list, text.replace('/f1.bin', '/g1.bin'));
    const out = path.join(dir, 'out');
    const { code, out: log } = await finished(worker(['-d', out, '-j', '4', '--drain', ...queue]));
    expect(code, log).toBe(1);
    expect(log).toMatch(
      new RegExp(
        `shard 0 failed: list '${list.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}' changed since it was added`,
      ),
    );
    expect(log).toMatch(/^shard 1: 4 entries, 4 downloaded/m);
    expect(await fs.readdir(out)).not.toContain('g1.bin');
    const status = JSON.parse(
      (await runCli(['queue', 'status', '--redis', redisUrl, '--json', ...queue])).stdout,
    );
    expect(status).toMatchObject({ failed: 1, done: 1 });
    // Nothing waits or runs: --watch prints the status once and ends.
    const watched = await runCli(['queue', 'status', '--redis', redisUrl, '--watch', ...queue]);
    expect(watched.code).toBe(0);
    expect(watched.stdout).toBe(
      'shards: 0 waiting, 0 active, 0 delayed, 1 done, 1 failed; URLs in done shards: 4 (0 failed), 1.25 MiB\n',
    );
  }, 60_000);

  it('a worker killed inside a shard loses nothing: another finishes it, every file once, no .part left', async () => {
    const dir = await tmpDir();
    const list = path.join(dir, 'list.txt');
    const names = Array.from({ length: 24 }, (_, i) => `f${i}.bin`);
    await fs.writeFile(list, names.map((n) => `${server.url}/${n}`).join('\n') + '\n');
    const queue = ['--queue', `t${Date.now()}`];
    const add = await runCli(['queue', 'add', list, '--redis', redisUrl, '--shard-size', '4', ...queue]);
    expect(add.stdout).toMatch(/6 shards .*6 added/);
    // Adding the same list again adds nothing.
    const again = await runCli(['queue', 'add', list, '--redis', redisUrl, '--shard-size', '4', ...queue]);
    expect(again.stdout).toMatch(/6 shards .*0 added/);

    const out = path.join(dir, 'out');
    const a = worker(['-d', out, '-j', '4', '--lock', '2', ...queue]);
    // Killed once it holds a shard with a .part on disk.
    for (let i = 0; i < 200; i++) {
      const files = await listFiles(out).catch(() => [] as string[]);
      if (files.some((f) => f.endsWith('.part'))) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    a.kill('SIGKILL');
    const b = worker(['-d', out, '-j', '4', '--lock', '2', '--drain', ...queue]);
    let stdout = '';
    let stderr = '';
    b.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    b.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => b.on('close', resolve));
    expect(code, stdout + stderr).toBe(0);
    expect(stdout).toMatch(/^shard \d+: 4 entries/m);

    const files = (await listFiles(out)).filter((f) => !f.startsWith('.dlpool'));
    expect(files.sort()).toEqual([...names].sort());
    for (const n of names) expect((await fs.readFile(path.join(out, n))).equals(body(`/${n}`))).toBe(true);
    const results = await runCli(['queue', 'results', '--redis', redisUrl, ...queue]);
    expect(results.code).toBe(0);
    const paths = results.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('  ')[1]);
    expect(paths.sort()).toEqual([...names].sort());
    const status = await runCli(['queue', 'status', '--redis', redisUrl, '--json', ...queue]);
    expect(JSON.parse(status.stdout)).toMatchObject({
      waiting: 0,
      active: 0,
      done: 6,
      failed: 0,
      urls: 24,
    });
    // Finished jobs are trimmed from Redis, their results kept: adding the list again still adds nothing.
    const third = await runCli(['queue', 'add', list, '--redis', redisUrl, '--shard-size', '4', ...queue]);
    expect(third.stdout).toMatch(/6 shards .*0 added/);
    // The killed worker's shard was handed over, and the status says so.
    expect(JSON.parse(status.stdout).redelivered).toBeGreaterThanOrEqual(1);
  }, 60_000);
});
