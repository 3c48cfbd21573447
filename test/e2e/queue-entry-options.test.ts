import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startServer, type TestServer } from '../helpers/http.js';
import { freePort, REDIS, startRedis } from '../helpers/redis.js';
import { MODES, tmpDir } from '../helpers/tmp.js';

/** Queue workers read each shard's option lines from the list, as get does: an entry's settings go with it. */

let redis: ChildProcess | undefined;
let redisUrl = '';
let server: TestServer;
beforeAll(async () => {
  if (!REDIS) return;
  const port = await freePort();
  redis = await startRedis(port);
  redisUrl = `redis://127.0.0.1:${port}`;
  server = await startServer((req, res) => {
    if (req.url?.includes('/busy')) return void res.writeHead(503, { 'content-length': '0' }).end();
    res.end(`body of ${req.url}`);
  });
});
afterAll(async () => {
  redis?.kill('SIGKILL');
  await server?.close();
});

describe.skipIf(!REDIS).each(MODES)('queue worker, %s mode', (mode) => {
  it("header=, user-agent= and max-tries= reach that entry's requests only, across shards", async () => {
    const dir = await tmpDir();
    const list = path.join(dir, 'list.txt');
    const u = (p: string) => `${server.url}/${mode}${p}`;
    // Shards of 3 lines: the busy entry's max-tries= is in the second shard, its own.
    await fs.writeFile(
      list,
      `${u('/q1.bin')}\n  header=X-Q: one\n${u('/q2.bin')}\n` +
        `${u('/busy1.bin')}\n  max-tries=3\n  user-agent=ua-busy\n${u('/busy2.bin')}\n`,
    );
    const queue = ['--queue', `entry${Date.now()}${Math.random().toString(36).slice(2, 6)}`];
    const add = await runCli(['queue', 'add', list, '--redis', redisUrl, '--shard-size', '3', ...queue]);
    expect(add.code, add.stderr).toBe(0);
    const w = await runCli(
      [
        'worker',
        '--redis',
        redisUrl,
        '--list-root',
        os.tmpdir(),
        '--drain',
        '--mode',
        mode,
        '--retries',
        '0',
        '-d',
        'out',
        ...queue,
      ],
      { cwd: dir },
    );
    expect(w.code, w.stderr).toBe(1);
    const seen = (p: string) => server.requests.filter((r) => r.path === `/${mode}${p}`);
    expect(seen('/q1.bin').map((r) => r.headers['x-q'])).toEqual(['one']);
    expect(seen('/q2.bin').map((r) => r.headers['x-q'])).toEqual([undefined]);
    expect(seen('/busy1.bin').map((r) => r.headers['user-agent'])).toEqual(['ua-busy', 'ua-busy', 'ua-busy']);
    expect(seen('/busy2.bin')).toHaveLength(1);
    expect(seen('/busy2.bin')[0]?.headers['user-agent']).toMatch(/^dlpool\//);
  }, 60_000);
});
