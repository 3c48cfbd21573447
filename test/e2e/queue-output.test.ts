import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli } from '../helpers/cli.js';
import { startServer, type TestServer } from '../helpers/http.js';
import { freePort, REDIS, startRedis } from '../helpers/redis.js';
import { screen } from '../helpers/screen.js';
import { tmpDir } from '../helpers/tmp.js';

/** What a user reads from queue mode: the worker's lines, status and results as text and as JSON. */

let redis: ChildProcess | undefined;
let redisUrl = '';
let server: TestServer;
/** Answers to /held/* wait here until the test lets them go. */
const held: (() => void)[] = [];
beforeAll(async () => {
  if (!REDIS) return;
  const port = await freePort();
  redis = await startRedis(port);
  redisUrl = `redis://127.0.0.1:${port}`;
  server = await startServer((req, res) => {
    if (req.url?.startsWith('/missing')) res.writeHead(404, { 'content-length': '0' }).end();
    else if (req.url?.startsWith('/held')) {
      res.writeHead(200, { 'content-length': '10' });
      res.write('12345');
      held.push(() => res.destroy());
    } else res.end(`body of ${req.url}`);
  });
});
afterAll(async () => {
  for (const h of held.splice(0)) h();
  redis?.kill('SIGKILL');
  await server?.close();
});

const queueName = () => ['--queue', `out${Date.now()}${Math.random().toString(36).slice(2, 6)}`];

/** A list of these paths on the test server, in a folder of its own; added to a fresh queue in shards of 4. */
async function added(paths: string[]): Promise<{ dir: string; list: string; queue: string[]; add: string }> {
  const dir = await tmpDir();
  const list = path.join(dir, 'list.txt');
  await fs.writeFile(list, paths.map((p) => `${server.url}${p}\n`).join(''));
  const queue = queueName();
  const add = await runCli(['queue', 'add', list, '--redis', redisUrl, '--shard-size', '4', ...queue]);
  expect(add.code, add.stderr).toBe(0);
  return { dir, list, queue, add: add.stdout };
}

const worker = (args: string[], cwd: string) =>
  runCli(['worker', '--redis', redisUrl, '--list-root', os.tmpdir(), '--drain', ...args], { cwd });

describe.skipIf(!REDIS)('queue mode: what the user reads', () => {
  it('a worker prints what get prints (a line per file, FAILED list:line -> path), a line per shard, counts in words that agree', async () => {
    const { dir, list, queue, add } = await added(['/a', '/b', '/missing', '/c', '/d']);
    expect(add).toBe(`dlpool queue: 2 shards of ${list}, 2 added\n`);
    const r = await worker(['-d', 'out', '-j', '2', ...queue], dir);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toBe(
      `FAILED      ${list}:3 -> out/missing: 404 Not Found: GET ${server.url}/missing (attempt 1, not retried) [ERR_DL_HTTP_STATUS]\n`,
    );
    const lines = r.stdout.split('\n');
    // (In the order they finish, -j 2.)
    expect(
      lines
        .filter((l) => l.startsWith('downloaded'))
        .map((l) => l.split('  ')[1])
        .sort(),
    ).toEqual(['a', 'b', 'c', 'd']);
    expect(lines.filter((l) => l.startsWith('shard')).sort()).toEqual([
      'shard 0: 4 entries, 3 downloaded, 0 skipped, 1 failed',
      'shard 1: 1 entry, 1 downloaded, 0 skipped, 0 failed',
    ]);
    // A list's warnings are said, as get says them (an option line a worker does not know).
    const warned = await added(['/f\n  bogus-option=1']);
    const w = await worker(['-d', 'out', ...warned.queue], warned.dir);
    expect(w.code, w.stderr).toBe(0);
    expect(w.stderr).toBe(`dlpool: warning: ${warned.list}:2: unknown aria2 option 'bogus-option' ignored\n`);
    const one = await added(['/e']);
    expect(one.add).toBe(`dlpool queue: 1 shard of ${one.list}, 1 added\n`);
  }, 60_000);

  it('queue results: text counts in words that agree; --json is one document like the others, one result per line, valid against its schema', async () => {
    const { dir, queue } = await added(['/a', '/b', '/missing', '/c', '/d']);
    expect((await worker(['-d', 'out', ...queue], dir)).code).toBe(1);
    const base = ['--redis', redisUrl, ...queue];
    const text = await runCli(['queue', 'results', ...base]);
    expect(text.code).toBe(1);
    expect(text.stderr.split('\n').at(-2)).toBe('dlpool queue: 2 shards done, 1 failed URL');
    const json = await runCli(['queue', 'results', ...base, '--json']);
    expect(json.code).toBe(1);
    expect(json.stderr).toBe('');
    const lines = json.stdout.split('\n');
    expect(lines[0]).toBe('{"results":[');
    expect(lines[1]).toMatch(/^\{"shard":0,/);
    expect(lines[2]).toMatch(/^,\{"shard":1,/);
    const doc = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(valid(await validator('queue-results'), doc)).toBe(true);
    expect(doc).toMatchObject({ shards: 2, entries: 5, downloaded: 4, skipped: 0, failed: 1, invalid: 0 });
    const status = await runCli(['queue', 'status', ...base, '--json']);
    const s = JSON.parse(status.stdout) as Record<string, unknown>;
    expect(valid(await validator('queue-status'), s)).toBe(true);
    // The words of the text line (`2 done`), not BullMQ's.
    expect(s).toMatchObject({ done: 2, failed: 0, urls: 5, failedUrls: 1 });
    expect(s).not.toHaveProperty('completed');
    const st = await runCli(['queue', 'status', ...base]);
    expect(st.stdout).toMatch(/, 2 done, 0 failed; URLs in done shards: 5 \(1 failed\), /);
  }, 60_000);

  it('SIGTERM: one line saying the shard was handed back, no FAILED line for the downloads it stopped', async () => {
    const { dir, queue } = await added(['/held1', '/held2']);
    const child = spawn(
      process.execPath,
      [BIN, 'worker', '--redis', redisUrl, '--list-root', os.tmpdir(), '-d', 'out', ...queue],
      { cwd: dir, env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const before = server.requests.length;
    for (let i = 0; i < 600 && server.requests.length < before + 2; i++)
      await new Promise((r) => setTimeout(r, 25));
    child.kill('SIGTERM');
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code, stderr).toBe(143);
    expect(stderr).toBe('dlpool worker: SIGTERM: shard 0 handed back to the queue\n');
    expect(stdout).toBe('');
    const status = JSON.parse(
      (await runCli(['queue', 'status', '--redis', redisUrl, '--json', ...queue])).stdout,
    );
    expect(status).toMatchObject({ waiting: 1, active: 0, done: 0, failed: 0 });
  }, 60_000);

  it.skipIf(spawnSync('script', ['--version']).status !== 0)(
    'on a terminal: a progress line while a shard runs, gone when the worker ends',
    async () => {
      const { dir, queue } = await added(['/a', '/b', '/c']);
      const args = [
        'worker',
        '--redis',
        redisUrl,
        '--list-root',
        os.tmpdir(),
        '--drain',
        '-d',
        'out',
        ...queue,
      ];
      const quoted = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`);
      // The pseudo-terminal's own width (what the worker reads), not only COLUMNS.
      const command = `stty cols 60; ${quoted.join(' ')}`;
      const raw = await new Promise<string>((resolve, reject) => {
        const child = spawn('script', ['-qefc', command, '/dev/null'], {
          cwd: dir,
          env: { ...process.env, CI: '', NO_COLOR: '1', TERM: 'xterm', COLUMNS: '60' },
          stdio: ['pipe', 'pipe', 'inherit'],
        });
        let out = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
        child.on('error', reject);
        child.on('close', () => resolve(out));
      });
      // Drawn in place (CR, erase line, the text, no line break) and never wider than the terminal.
      const drawn = raw
        .split('\r\x1b[K')
        .slice(1)
        .filter((seg) => seg !== '' && !/[\r\n]/.test(seg));
      expect(
        // (3 files, or `N+` when drawn before the shard's lines were all read.)
        drawn.some((l) => /^shard 0: \d+\/(3|\d+\+) files \| /.test(l)),
        JSON.stringify(raw),
      ).toBe(true);
      for (const l of drawn) expect(l.length, JSON.stringify(drawn)).toBeLessThan(60);
      const shown = screen(raw.replace(/\r\n/g, '\n'));
      expect(shown.filter((l) => l.startsWith('downloaded'))).toHaveLength(3);
      expect(shown.at(-1)).toBe('shard 0: 3 entries, 3 downloaded, 0 skipped, 0 failed');
    },
    60_000,
  );
});

const ajv = new Ajv2020({ allErrors: true, strict: true });
async function validator(name: string) {
  const file = fileURLToPath(new URL(`../../schemas/${name}.schema.json`, import.meta.url));
  return ajv.compile(JSON.parse(await fs.readFile(file, 'utf8')) as object);
}
function valid(check: Awaited<ReturnType<typeof validator>>, doc: unknown): true {
  if (!check(doc)) throw new Error(JSON.stringify(check.errors, null, 2));
  return true;
}
