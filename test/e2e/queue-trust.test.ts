import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli } from '../helpers/cli.js';
import { startServer, type TestServer } from '../helpers/http.js';
import { freePort, REDIS, startRedis } from '../helpers/redis.js';
import { listFiles, tmpDir } from '../helpers/tmp.js';

/**
 * Queue mode when someone else writes to the Redis: hostile job data and hostile results, written straight into
 * a real redis-server, against real worker processes.
 */

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

let redis: ChildProcess | undefined;
let redisUrl = '';
let server: TestServer;
beforeAll(async () => {
  if (!REDIS) return;
  const port = await freePort();
  redis = await startRedis(port);
  redisUrl = `redis://127.0.0.1:${port}`;
  server = await startServer((req, res) => res.end(`body of ${req.url}`));
});
afterAll(async () => {
  redis?.kill('SIGKILL');
  await server?.close();
});

const queueName = () => `trust${Date.now()}${Math.random().toString(36).slice(2, 6)}`;

/** Writes jobs to the queue as anyone who reaches the Redis can: BullMQ's own Queue.add. */
async function addJobs(queue: string, jobs: { id: string; data: unknown }[]): Promise<void> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const q = new Queue(queue, { connection });
  try {
    for (const j of jobs) {
      await q.add('shard', j.data, {
        jobId: j.id,
        attempts: 5,
        backoff: { type: 'exponential', delay: 1000 },
      });
    }
  } finally {
    await q.close();
    connection.disconnect();
  }
}

/** `dlpool ARGS`, killed if it has not ended within `ms` (then `killed` says so). */
function runBounded(args: string[], ms = 25_000) {
  return new Promise<{ code: number | null; out: string; killed: boolean }>((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, CI: 'true', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let killed = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, ms);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, killed });
    });
  });
}

function worker(queue: string, root: string, out: string) {
  return runBounded([
    'worker',
    '--redis',
    redisUrl,
    '--queue',
    queue,
    '--list-root',
    root,
    '-d',
    out,
    '--drain',
  ]);
}

/** A well-formed job for the bytes [offset, end) of `list`. */
function jobFor(list: string, text: Buffer, offset: number, end: number, more: object = {}) {
  return {
    list,
    listHash: sha256(text),
    shard: 0,
    of: 1,
    size: 10,
    offset,
    end,
    firstLine: 1,
    bytes: sha256(text.subarray(offset, end)),
    ...more,
  };
}

describe.skipIf(!REDIS)('queue mode trusts nothing from Redis', () => {
  it('a job naming a file outside --list-root (offset = end) fails for good; none of its lines reach Redis or queue results', async () => {
    const dir = await tmpDir();
    const root = path.join(dir, 'lists');
    await fs.mkdir(root);
    const secret = path.join(dir, 'id_key');
    await fs.writeFile(secret, 'SECRETLINE-one AAAA\nSECRETLINE-two BBBB\n');
    const queue = queueName();
    // offset = end: the bytes hashed are none, whatever the file holds.
    await addJobs(queue, [
      { id: 'a', data: jobFor(secret, Buffer.alloc(0), 0, 0) },
      // A way out of the root through `..`, and a link inside it that points out.
      { id: 'b', data: jobFor(`${root}/../id_key`, await fs.readFile(secret), 0, 20) },
    ]);
    await fs.symlink(secret, path.join(root, 'link.txt'));
    await addJobs(queue, [
      { id: 'c', data: jobFor(path.join(root, 'link.txt'), await fs.readFile(secret), 0, 20) },
    ]);
    const w = await worker(queue, root, path.join(dir, 'out'));
    expect(w.killed, w.out).toBe(false);
    expect(w.code, w.out).toBe(1);
    expect(w.out).not.toContain('SECRETLINE');
    expect(w.out.match(/failed: /g), w.out).toHaveLength(3);
    expect(w.out).not.toContain('to be retried');
    const results = await runCli(['queue', 'results', '--redis', redisUrl, '--queue', queue, '--json']);
    expect(results.stdout + results.stderr).not.toContain('SECRETLINE');
    const r = new Redis(redisUrl);
    const everything = JSON.stringify(
      await Promise.all((await r.keys(`*${queue}*`)).map(async (k) => [k, await r.dump(k)])),
    );
    r.disconnect();
    expect(everything).not.toContain('SECRETLINE');
    const status = JSON.parse(
      (await runCli(['queue', 'status', '--redis', redisUrl, '--queue', queue, '--json'])).stdout,
    );
    expect(status).toMatchObject({ failed: 3, done: 0, waiting: 0, delayed: 0 });
  }, 60_000);

  it('a list that is not a regular file (/dev/zero through a link, a FIFO) fails for good at once', async () => {
    const dir = await tmpDir();
    const root = path.join(dir, 'lists');
    await fs.mkdir(root);
    await fs.symlink('/dev/zero', path.join(root, 'zero.txt'));
    execFileSync('mkfifo', [path.join(root, 'fifo.txt')]);
    const zeros = Buffer.alloc(1 << 20);
    const queue = queueName();
    await addJobs(queue, [
      { id: 'zero', data: jobFor(path.join(root, 'zero.txt'), zeros, 0, zeros.length) },
      { id: 'direct', data: jobFor('/dev/zero', zeros, 0, zeros.length) },
      { id: 'fifo', data: jobFor(path.join(root, 'fifo.txt'), zeros, 0, 10) },
    ]);
    const w = await worker(queue, root, path.join(dir, 'out'));
    expect(w.killed, w.out).toBe(false);
    expect(w.code, w.out).toBe(1);
    expect(w.out.match(/failed: /g), w.out).toHaveLength(3);
    expect(w.out).toMatch(/not a regular file/);
  }, 60_000);

  it('a worker reads exactly the bytes [offset, end) of its job: the lines after end are not downloaded', async () => {
    const dir = await tmpDir();
    const list = path.join(dir, 'list.txt');
    const lines = ['f0', 'f1', 'f2', 'f3'].map((n) => `${server.url}/${n}.bin\n`);
    const text = Buffer.from(lines.join(''));
    await fs.writeFile(list, text);
    const queue = queueName();
    // Shard of 10 lines whose bytes end after line 2.
    const end = lines[0]!.length + lines[1]!.length;
    await addJobs(queue, [{ id: 'x', data: jobFor(list, text, 0, end) }]);
    const out = path.join(dir, 'out');
    const w = await worker(queue, dir, out);
    expect(w.code, w.out).toBe(0);
    expect((await listFiles(out)).filter((f) => !f.startsWith('.dlpool'))).toEqual(['f0.bin', 'f1.bin']);
  }, 60_000);

  it('job data of the wrong shape fails for good, one escaped line naming the field', async () => {
    const dir = await tmpDir();
    const list = path.join(dir, 'list.txt');
    const text = Buffer.from(`${server.url}/a.bin\n`);
    await fs.writeFile(list, text);
    const good = jobFor(list, text, 0, text.length);
    const queue = queueName();
    await addJobs(queue, [
      { id: 'esc\x1b[2J', data: { ...good, shard: '\x1b[31mred' } },
      { id: 'offset', data: { ...good, offset: '0' } },
      { id: 'of', data: { ...good, shard: 3, of: 2, firstLine: 31 } },
      { id: 'hash', data: { ...good, bytes: 'abc' } },
      { id: 'names', data: { ...good, names: { 0: 'x.bin' } } },
      { id: 'names2', data: { ...good, names: ['x.bin'] } },
      { id: 'extra', data: { ...good, sneaky: 1 } },
      { id: 'huge', data: { ...good, end: 2 ** 40 } },
    ]);
    const w = await worker(queue, dir, path.join(dir, 'out'));
    expect(w.code, w.out).toBe(1);
    const failedLines = w.out.split('\n').filter((l) => l.includes('failed'));
    expect(failedLines, w.out).toHaveLength(8);
    expect(w.out).not.toMatch(/[\x1b\x9b]/);
    expect(w.out).toContain("job 'esc\\x1b[2J' failed: shard: ");
    for (const field of ['offset', 'shard', 'bytes', 'names', 'sneaky', 'end'])
      expect(w.out, field).toMatch(new RegExp(`: ${field}\\b`));
    expect(await fs.readdir(path.join(dir, 'out')).catch(() => [])).not.toContain('a.bin');
  }, 60_000);

  it('a job whose data is not JSON fails for good, and the worker goes on to the next job', async () => {
    const dir = await tmpDir();
    const list = path.join(dir, 'list.txt');
    const text = Buffer.from(`${server.url}/b.bin\n`);
    await fs.writeFile(list, text);
    const queue = queueName();
    await addJobs(queue, [{ id: 'garbled', data: jobFor(list, text, 0, text.length) }]);
    const r = new Redis(redisUrl);
    await r.hset(`bull:${queue}:garbled`, 'data', 'not JSON {\x1b[2J');
    r.disconnect();
    await addJobs(queue, [{ id: 'good', data: jobFor(list, text, 0, text.length) }]);
    const w = await worker(queue, dir, path.join(dir, 'out'));
    expect(w.killed, w.out).toBe(false);
    expect(w.code, w.out).toBe(1);
    expect(w.out).toContain("job 'garbled' failed: job data: expected an object");
    expect(w.out).toMatch(/^shard 0: 1 entry, 1 downloaded/m);
    expect(await fs.readdir(path.join(dir, 'out'))).toContain('b.bin');
  }, 60_000);

  it('queue add --list-root records the list relative to it; a worker with another path to that folder runs it', async () => {
    const dir = await tmpDir();
    const share = path.join(dir, 'share');
    await fs.mkdir(path.join(share, 'lists'), { recursive: true });
    const list = path.join(share, 'lists', 'list.txt');
    await fs.writeFile(list, `${server.url}/c.bin\n${server.url}/d.bin\n`);
    // The same folder seen at another path, as another machine may mount it.
    await fs.symlink(share, path.join(dir, 'mnt'));
    const queue = queueName();
    const base = ['--redis', redisUrl, '--queue', queue];
    const add = await runCli(['queue', 'add', list, '--list-root', share, ...base]);
    expect(add.code, add.stderr).toBe(0);
    const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
    const q = new Queue(queue, { connection });
    const jobs = await q.getJobs(['waiting']);
    await q.close();
    connection.disconnect();
    expect(jobs.map((j) => (j.data as { list: string }).list)).toEqual([path.join('lists', 'list.txt')]);
    const out = path.join(dir, 'out');
    const w = await worker(queue, path.join(dir, 'mnt'), out);
    expect(w.code, w.out).toBe(0);
    expect((await listFiles(out)).filter((f) => !f.startsWith('.dlpool'))).toEqual(['c.bin', 'd.bin']);
    const outside = await runCli(['queue', 'add', list, '--list-root', path.join(share, 'other'), ...base]);
    expect(outside.code).toBe(2);
    await fs.mkdir(path.join(share, 'other'));
    const refused = await runCli(['queue', 'add', list, '--list-root', path.join(share, 'other'), ...base]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/is not under --list-root/);
  }, 60_000);

  it('queue results and status: hostile records in Redis are refused or escaped, as text and as --json', async () => {
    const queue = queueName();
    const r = new Redis(redisUrl);
    const results = `dlpool:${queue}:shard-results`;
    const summary = `dlpool:${queue}:shard-summary`;
    const digest = 'a'.repeat(64);
    await r.hset(results, {
      'aaaa:000000000': JSON.stringify({
        shard: 0,
        count: 2,
        downloaded: 1,
        skipped: 0,
        failed: [
          {
            url: 'http://h/\u202eevil\x1b[2J',
            line: 2,
            code: 'ERR_DL_HTTP_STATUS',
            message: '\u009b31mboom',
          },
        ],
        sums: `${digest}  ok.bin\n`,
        bytes: 5,
      }),
      'aaaa:000000001': JSON.stringify({
        shard: 1,
        count: 1,
        downloaded: 1,
        skipped: 0,
        failed: [],
        sums: `${digest}  x.bin\n\x1b]0;pwned\x07\n`,
        bytes: 1,
      }),
      'aaaa:000000002': '{"shard": "\\u001b[2J"',
    });
    await r.hset(summary, {
      'aaaa:000000000': JSON.stringify({
        list: 'l\u202e',
        shard: 0,
        count: 2,
        failed: 1,
        bytes: 5,
        redelivered: 0,
      }),
      'aaaa:000000001': JSON.stringify({
        list: 'l',
        shard: 1,
        count: '\x1b[2J',
        failed: 0,
        bytes: 1,
        redelivered: 0,
      }),
    });
    r.disconnect();
    const base = ['--redis', redisUrl, '--queue', queue];
    const text = await runCli(['queue', 'results', ...base]);
    expect(text.code).toBe(1);
    expect(text.stdout).toBe(`${digest}  ok.bin\n`);
    expect(text.stdout + text.stderr).not.toMatch(/[\x1b\x07\x9b\u202e]/);
    expect(text.stderr).toContain('\\u202eevil\\x1b[2J');
    expect(text.stderr.match(/not a result a worker writes/g), text.stderr).toHaveLength(2);
    const json = await runCli(['queue', 'results', ...base, '--json']);
    expect(json.stdout).not.toMatch(/[\x1b\x07\x9b\u202e]/);
    const doc = JSON.parse(json.stdout) as { results: { failed: { message: string }[] }[]; invalid: number };
    expect(doc.results).toHaveLength(1);
    expect(doc.invalid).toBe(2);
    expect(doc.results[0]!.failed[0]!.message).toBe('\u009b31mboom');
    for (const args of [[], ['--json']]) {
      const status = await runCli(['queue', 'status', ...base, ...args]);
      expect(status.code).toBe(0);
      expect(status.stdout + status.stderr).not.toMatch(/[\x1b\x07\x9b\u202e]/);
      if (args.length) expect(JSON.parse(status.stdout)).toMatchObject({ done: 1, urls: 2, invalid: 1 });
      else
        expect(status.stdout).toMatch(
          /done.*URLs in done shards: 2 \(1 failed\).*1 record in Redis not understood/,
        );
    }
  }, 60_000);
});
