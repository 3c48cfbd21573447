import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { BIN, runCli } from '../helpers/cli.js';
import { startServer, type TestServer } from '../helpers/http.js';
import { tmpDir } from '../helpers/tmp.js';

const SLURM = fileURLToPath(new URL('../../samples/slurm-array.sh', import.meta.url));

let server: TestServer;
beforeAll(async () => {
  server = await startServer((req, res) => {
    if (req.url === '/missing') return void res.writeHead(404, { 'content-length': '0' }).end();
    res.writeHead(200, { 'content-length': '3' }).end('abc');
  });
});
afterAll(() => server.close());

describe('dlpool get --shard I/N, then dlpool merge', () => {
  it('merges finished shards into one manifest, lists what failed, and says which shard is missing', async () => {
    const dir = await tmpDir();
    const list = path.join(dir, 'list.txt');
    await fs.writeFile(list, `${server.url}/a\n${server.url}/b\n${server.url}/missing\n${server.url}/c\n`);
    const out = path.join(dir, 'out');
    const first = await runCli([
      'get',
      list,
      '-d',
      out,
      '--shard',
      '0/2',
      '--shard-size',
      '2',
      '--retries',
      '0',
    ]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/2 downloaded.*; shards: 1 run -> /);
    // Shard 1 not run yet: merge says so, exit 1.
    const partial = await runCli(['merge', out]);
    expect(partial.code).toBe(1);
    expect(partial.stderr).toMatch(/shard 1 of 2 is not finished/);
    const second = await runCli([
      'get',
      list,
      '-d',
      out,
      '--shard',
      '1/2',
      '--shard-size',
      '2',
      '--retries',
      '0',
    ]);
    expect(second.code).toBe(1);
    const sums = path.join(dir, 'SUMS');
    const failed = path.join(dir, 'failed.txt');
    const merged = await runCli(['merge', out, '--manifest', sums, '--failed', failed]);
    expect(merged.code).toBe(1);
    expect(
      (await fs.readFile(sums, 'utf8'))
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('  ')[1]),
    ).toEqual(['a', 'b', 'c']);
    expect(await fs.readFile(failed, 'utf8')).toBe(`${server.url}/missing\n`);
    expect(merged.stderr).toMatch(
      /FAILED {6}\S*list\.txt:3: 404 Not Found: GET \S*\/missing .*\[ERR_DL_HTTP_STATUS\]/,
    );
    expect(merged.stderr).toMatch(
      /2 of 2 shards, 4 entries: 3 downloaded, 0 skipped \(already present\), 1 failed/,
    );
    // The manifest checks out where the files are.
    const verify = await runCli(['verify', sums, '-d', out]);
    expect(verify.code).toBe(0);
  });

  it('--shard with URLs instead of one list, a bad I/N, and a directory without shards are usage or input errors', async () => {
    const dir = await tmpDir();
    expect((await runCli(['get', `${server.url}/a`, '--shard', '0/2', '-d', dir])).stderr).toMatch(
      /exactly one list/,
    );
    const bad = await runCli(['get', 'list.txt', '--shard', '2/2', '-d', dir]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--shard: expected I\/N with 0 <= I < N \(such as 0\/4\), got '2\/2'/);
    const none = await runCli(['merge', dir]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no shards in/);
  });
});

describe('samples/slurm-array.sh', () => {
  it('run as a 3-task array shares the list out, and the merge finds every shard', async () => {
    const dir = await tmpDir();
    const list = path.join(dir, 'list.txt');
    await fs.writeFile(list, Array.from({ length: 25 }, (_, i) => `${server.url}/f${i}`).join('\n') + '\n');
    // `npx dlpool ...` runs this checkout's CLI.
    const bin = path.join(dir, 'bin');
    await fs.mkdir(bin);
    await fs.writeFile(
      path.join(bin, 'npx'),
      `#!/bin/sh\n[ "$1" = dlpool ] && shift\nexec "${process.execPath}" "${BIN}" "$@"\n`,
      {
        mode: 0o755,
      },
    );
    const out = path.join(dir, 'out');
    for (const task of [0, 1, 2]) {
      // (Not spawnSync: the server answering it runs on this test's event loop.)
      const child = spawn('bash', [SLURM, list, out], {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: {
          ...process.env,
          PATH: `${bin}:${process.env['PATH']}`,
          SLURM_ARRAY_TASK_ID: String(task),
          SLURM_ARRAY_TASK_MIN: '0',
          SLURM_ARRAY_TASK_MAX: '2',
          SHARD_SIZE: '10',
        },
      });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const r = { status: await new Promise<number | null>((resolve) => child.on('close', resolve)), stderr };
      expect(r.status, r.stderr).toBe(0);
    }
    // 25 lines in shards of 10: 3 shards, one per task.
    const merged = await runCli(['merge', out]);
    expect(merged.code).toBe(0);
    expect(merged.stderr).toMatch(/3 of 3 shards, 25 entries: 25 downloaded/);
    expect(merged.stdout.split('\n').filter(Boolean)).toHaveLength(25);
  });
});
