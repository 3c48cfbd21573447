import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startServer, type TestServer } from '../helpers/http.js';
import { listFiles, tmpDir } from '../helpers/tmp.js';

// -o FILE: the one URL of the run under a chosen name, as curl -o and wget -O.

let server: TestServer;
beforeAll(async () => {
  server = await startServer((req, res) => {
    const m = /^\/(\w+)\.bin$/.exec(req.url ?? '');
    if (!m) return res.writeHead(404).end('not here');
    res.writeHead(200).end(`body of ${m[1]}`);
  });
});
afterAll(() => server.close());

describe('-o FILE', () => {
  it('saves the URL as FILE in the current folder, and under -d DIR when given', async () => {
    const cwd = await tmpDir();
    const r = await runCli([`${server.url}/a.bin`, '-o', 'mine.dat'], { cwd });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await fs.readFile(path.join(cwd, 'mine.dat'), 'utf8')).toBe('body of a');
    const d = await runCli([`${server.url}/b.bin`, '-d', 'out', '--output=sub/b.dat'], { cwd });
    expect(d.code).toBe(0);
    expect(await listFiles(cwd)).toEqual(['mine.dat', 'out/sub/b.dat']);
  });

  it('refuses two URLs, or a list of two, with exit 2 and nothing fetched', async () => {
    const cwd = await tmpDir();
    const before = server.requests.length;
    const r = await runCli([`${server.url}/a.bin`, `${server.url}/b.bin`, '-o', 'x.dat'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^dlpool: -o: saves a run of exactly one URL; the sources hold more than one/);
    await fs.writeFile(path.join(cwd, 'list.txt'), `${server.url}/a.bin\n${server.url}/b.bin\n`);
    const l = await runCli(['list.txt', '--output', 'x.dat'], { cwd });
    expect(l.code).toBe(2);
    expect(l.stderr).toMatch(/^dlpool: --output: saves a run of exactly one URL/);
    expect(server.requests.length).toBe(before);
    expect(await listFiles(cwd)).toEqual(['list.txt']);
  });
});

describe('dlpool worker', () => {
  it('refuses -o and --spider (it downloads whole shards) with exit 2, before reaching Redis', async () => {
    const cwd = await tmpDir();
    const redis = ['--redis', 'redis://127.0.0.1:1'];
    const o = await runCli(['worker', '--list-root', cwd, '-o', 'x.dat', ...redis], { cwd });
    expect(o.code).toBe(2);
    expect(o.stderr).toMatch(/^dlpool: -o: not for a worker/);
    const s = await runCli(['worker', '--list-root', cwd, '--dry-run', ...redis], { cwd });
    expect(s.code).toBe(2);
    expect(s.stderr).toMatch(/^dlpool: --dry-run: not for a worker/);
  });
});
