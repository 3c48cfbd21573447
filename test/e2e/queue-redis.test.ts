import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, runCli } from '../helpers/cli.js';
import { startServer } from '../helpers/http.js';
import { freePort, REDIS, startRedis } from '../helpers/redis.js';
import { listFiles, tmpDir } from '../helpers/tmp.js';

/** Queue commands and workers when Redis is not there, goes away, or refuses the password. */

interface Ended {
  code: number | null;
  stdout: string;
  stderr: string;
  killed: boolean;
}

/** `dlpool ARGS` as a child whose output is collected; `ended` is killed (and says so) after `ms`. */
function start(
  args: string[],
  ms = 25_000,
): { child: ChildProcess; ended: Promise<Ended>; output: () => string } {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, CI: 'true', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let killed = false;
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, ms);
  const ended = new Promise<Ended>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, killed });
    }),
  );
  return { child, ended, output: () => stdout + stderr };
}

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 600 && !ok(); i++) await new Promise((r) => setTimeout(r, 50));
  if (!ok()) throw new Error(`gave up waiting for ${what}`);
}

async function aList(dir: string, url: string, n: number): Promise<string> {
  const list = path.join(dir, 'list.txt');
  await fs.writeFile(list, Array.from({ length: n }, (_, i) => `${url}/f${i}.bin\n`).join(''));
  return list;
}

describe.skipIf(!REDIS)('queue mode and a Redis that is not there', () => {
  it('queue add|status|results and worker against a closed port: one line naming it, exit 2', async () => {
    const dir = await tmpDir();
    const list = await aList(dir, 'http://127.0.0.1:9', 1);
    const url = `redis://127.0.0.1:${await freePort()}`;
    const runs = await Promise.all(
      [
        ['queue', 'status'],
        ['queue', 'add', list],
        ['queue', 'results'],
        ['worker', '--drain', '--list-root', dir, '-d', path.join(dir, 'out')],
      ].map((args) => start([...args, '--redis', url, '--redis-timeout', '3']).ended),
    );
    for (const r of runs) {
      expect(r.killed, r.stderr).toBe(false);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`dlpool: cannot reach Redis at ${url}: connection refused\n`);
    }
  }, 60_000);

  it('a worker still waiting for Redis ends on the first SIGTERM (143, nothing said)', async () => {
    const dir = await tmpDir();
    // Takes each connection and drops it: Redis never answers, and the test sees the attempts.
    let attempts = 0;
    const dropper = net.createServer((s) => (attempts++, s.destroy()));
    await new Promise<void>((r) => dropper.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (dropper.address() as net.AddressInfo).port;
      const args = ['worker', '--drain', '--list-root', dir, '--redis-timeout', '120'];
      const w = start([...args, '--redis', `redis://127.0.0.1:${port}`]);
      await until('connection attempts', () => attempts >= 2);
      w.child.kill('SIGTERM');
      const r = await w.ended;
      expect(r.killed, r.stderr).toBe(false);
      expect(r.code, r.stderr).toBe(143);
      expect(r.stdout + r.stderr).toBe('');
    } finally {
      dropper.close();
    }
  }, 60_000);

  it('--redis that is not a Redis URL, and a bad --redis-timeout: one usage line, exit 2', async () => {
    for (const args of [
      ['--redis', 'notaurl'],
      ['--redis', 'http://127.0.0.1:6379'],
      ['--redis', 'redis://127.0.0.1:6379', '--redis-timeout', '0'],
    ]) {
      const r = await start(['queue', 'status', ...args]).ended;
      expect(r.killed, r.stderr).toBe(false);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.split('\n')[0]).toMatch(/^dlpool: --redis(-timeout)?: /);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  }, 60_000);

  it('a wrong Redis password is never printed (password and user:password forms): one line, exit 2', async () => {
    const port = await freePort();
    const own = await startRedis(port, undefined, ['--requirepass', 'RIGHTPW0']);
    try {
      const dir = await tmpDir();
      for (const auth of [':WRONGPW1', 'someone:WRONGPW2']) {
        const url = `redis://${auth}@127.0.0.1:${port}`;
        for (const args of [
          ['queue', 'status'],
          ['worker', '--drain', '--list-root', dir],
        ]) {
          const r = await start([...args, '--redis', url]).ended;
          expect(r.killed, r.stderr).toBe(false);
          expect(r.code, r.stderr).toBe(2);
          expect(r.stdout + r.stderr).not.toMatch(/WRONGPW|someone/);
          expect(r.stderr).toMatch(
            new RegExp(
              `^dlpool: cannot use Redis at redis://127\\.0\\.0\\.1:${port}: authentication failed[^\\n]*\\n$`,
            ),
          );
        }
      }
      const right = await runCli([
        'queue',
        'status',
        '--redis',
        `redis://:RIGHTPW0@127.0.0.1:${port}`,
        '--json',
      ]);
      expect(right.code, right.stderr).toBe(0);
    } finally {
      own.kill('SIGKILL');
    }
  }, 60_000);

  it('a worker that loses Redis says so once per outage, keeps retrying, and ends on the first SIGTERM', async () => {
    const dir = await tmpDir();
    // Answers hold back until the test lets them go: the worker is inside a shard when Redis goes.
    let release: () => void = () => {};
    const held = new Promise<void>((r) => (release = r));
    const server = await startServer((req, res) => void held.then(() => res.end(`body of ${req.url}`)));
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    let own = await startRedis(port);
    let refuser: net.Server | undefined;
    try {
      const list = await aList(dir, server.url, 4);
      const queue = ['--queue', 'outage'];
      expect((await runCli(['queue', 'add', list, '--redis', url, ...queue])).code).toBe(0);
      const w = start(
        ['worker', '--redis', url, ...queue, '--list-root', dir, '-d', path.join(dir, 'out')],
        40_000,
      );
      await until('the worker to ask for a file', () => server.requests.length > 0);
      own.kill('SIGKILL');
      await new Promise((r) => own.once('exit', r));
      // In Redis's place, a listener that takes each reconnect attempt and drops it: several attempts are seen.
      let attempts = 0;
      refuser = net.createServer((s) => (attempts++, s.destroy()));
      await new Promise<void>((r) => refuser!.listen(port, '127.0.0.1', () => r()));
      await until('reconnect attempts', () => attempts >= 3);
      release();
      w.child.kill('SIGTERM');
      const r = await w.ended;
      expect(r.killed, r.stdout + r.stderr).toBe(false);
      expect(r.code, r.stdout + r.stderr).toBe(143);
      expect(r.stderr.match(/lost Redis/g), r.stderr).toHaveLength(1);
      expect(r.stderr).toMatch(new RegExp(`^dlpool worker: lost Redis at ${url}: `, 'm'));
      expect(r.stderr).not.toMatch(/\n\s+at |Error:/);
      // The shard is still on the queue: Redis back, another worker finishes it.
      await new Promise((res) => refuser!.close(res));
      refuser = undefined;
      own = await startRedis(port);
      expect((await runCli(['queue', 'add', list, '--redis', url, ...queue])).code).toBe(0);
      const again = await start([
        'worker',
        '--redis',
        url,
        ...queue,
        '--list-root',
        dir,
        '-d',
        path.join(dir, 'out'),
        '--drain',
      ]).ended;
      expect(again.code, again.stderr).toBe(0);
      expect((await listFiles(path.join(dir, 'out'))).filter((f) => !f.startsWith('.dlpool'))).toHaveLength(
        4,
      );
    } finally {
      refuser?.close();
      own.kill('SIGKILL');
      await server.close();
    }
  }, 90_000);
});
