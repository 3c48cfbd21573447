import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startServer, type TestServer } from '../helpers/http.js';
import { listFiles, tmpDir } from '../helpers/tmp.js';

// A one-value option given twice takes the last value, as curl and wget do (`-o a -o b` saves to b), on every
// command: the rule comes from the declaration (no `repeat`), not from a check per option.

let server: TestServer;
beforeAll(async () => {
  server = await startServer((_req, res) => res.end('abc'));
});
afterAll(() => server.close());

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** No stack trace and no internal error, whatever the outcome. */
function clean(stderr: string): void {
  expect(stderr).not.toContain('internal error');
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe('a one-value option given twice: the last value wins', () => {
  it('get -o a -o b (and -o a --output b) saves to b only', async () => {
    const dir = await tmpDir();
    const r = await runCli(['-d', dir, '-o', 'a', '-o', 'b', `${server.url}/x`]);
    clean(r.stderr);
    expect(r.code).toBe(0);
    const mixed = await runCli(['-d', dir, '-o', 'c', '--output=d', `${server.url}/y`]);
    clean(mixed.stderr);
    expect(mixed.code).toBe(0);
    expect(await listFiles(dir)).toEqual(['b', 'd']);
    expect(await fs.readFile(path.join(dir, 'b'), 'utf8')).toBe('abc');
  });

  it('get -c a -c b checks against b; -d and --mode given twice take the last', async () => {
    const dir = await tmpDir();
    const out = path.join(dir, 'out');
    await fs.writeFile(path.join(dir, 'wrong'), `${sha256('nope')}  x\n`);
    await fs.writeFile(path.join(dir, 'right'), `${sha256('abc')}  x\n`);
    const r = await runCli(
      [
        '-d',
        'elsewhere',
        '-d',
        out,
        '-c',
        'wrong',
        '-c',
        'right',
        '--mode',
        'async',
        '--mode',
        'threads',
        '-w',
        '1',
      ].concat(`${server.url}/x`),
      { cwd: dir },
    );
    clean(r.stderr);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await listFiles(dir)).toEqual(['out/x', 'right', 'wrong']);
    const p = await runCli([
      '--mode',
      'async',
      '--mode',
      'threads',
      '-j',
      '3',
      '--concurrency=5',
      '--print-config',
    ]);
    clean(p.stderr);
    expect(p.stdout).toContain('# command line\nmode = threads\n');
    expect(p.stdout).toContain('# command line\nconcurrency = 5\n');
  });

  it('--no-remote-time --remote-time: the last one, as for any flag', async () => {
    const p = await runCli(['--no-remote-time', '--remote-time', '--json', '--no-json', '--print-config']);
    clean(p.stderr);
    expect(p.code).toBe(0);
    expect(p.stdout).toContain('# command line\nremote-time = true\n');
    expect(p.stdout).toContain('# command line\njson = false\n');
  });

  it('--config a --config b reads b only (as wget --config: one startup file); --no-config last reads none', async () => {
    const dir = await tmpDir();
    await fs.writeFile(path.join(dir, 'a'), 'user-agent = from-a\n');
    await fs.writeFile(path.join(dir, 'b'), 'user-agent = from-b\n');
    const r = await runCli(['--config', 'a', '--config', 'b', '--print-config'], { cwd: dir });
    clean(r.stderr);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`# config file: b\n`);
    expect(r.stdout).toContain(`# b:1\nuser-agent = from-b\n`);
    expect(r.stdout).not.toContain('from-a');
    const missing = await runCli(['--config', 'a', '--config', 'nonexist', '--print-config'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('dlpool: config file nonexist: cannot open it (ENOENT)\n');
    const none = await runCli(['--config', 'a', '--no-config', '--print-config'], { cwd: dir });
    expect(none.stdout).toContain('# config file: none\n');
  });

  it('hash --algo sha256 --algo md5 prints md5 digests', async () => {
    const dir = await tmpDir();
    await fs.writeFile(path.join(dir, 'f'), 'abc');
    const r = await runCli(['hash', '--algo', 'sha256', '--algo', 'md5', 'f'], { cwd: dir });
    clean(r.stderr);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${createHash('md5').update('abc').digest('hex')}  f\n`);
  });

  it('verify --algo md5 --algo sha1 and -d a -d b check with sha1 in b', async () => {
    const dir = await tmpDir();
    await fs.mkdir(path.join(dir, 'b'));
    await fs.writeFile(path.join(dir, 'b', 'f'), 'abc');
    await fs.writeFile(path.join(dir, 'sums'), `${createHash('sha1').update('abc').digest('hex')}  f\n`);
    const r = await runCli(['verify', 'sums', '--algo', 'md5', '--algo', 'sha1', '-d', 'a', '-d', 'b'], {
      cwd: dir,
    });
    clean(r.stderr);
    expect(r.stdout).toBe('f: OK\n');
    expect(r.code).toBe(0);
  });

  it('merge --manifest a --manifest b writes b only', async () => {
    const dir = await tmpDir();
    const out = path.join(dir, 'out');
    await fs.writeFile(path.join(dir, 'list'), `${server.url}/m\n`);
    const got = await runCli(['list', '-d', out, '--shard', '0/1', '--shard-size', '1'], { cwd: dir });
    expect(got.code).toBe(0);
    const r = await runCli(['merge', out, '--manifest', 'a', '--manifest', 'b'], { cwd: dir });
    clean(r.stderr);
    expect(r.code).toBe(0);
    expect(await fs.readFile(path.join(dir, 'b'), 'utf8')).toBe(`${sha256('abc')}  m\n`);
    await expect(fs.stat(path.join(dir, 'a'))).rejects.toThrow('ENOENT');
  });

  it('serve --root a --root b serves b (a missing b is named)', async () => {
    const dir = await tmpDir();
    const r = await runCli(['serve', '--root', dir, '--root', path.join(dir, 'missing')]);
    clean(r.stderr);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `dlpool: --root: not a directory: ${path.join(dir, 'missing')}\nTry 'dlpool serve --help'.\n`,
    );
  });

  it('bench --html a --html b writes b only', async () => {
    const dir = await tmpDir();
    const report = path.join(dir, 'report.json');
    await fs.writeFile(
      report,
      JSON.stringify({
        date: '2026-12-07',
        node: 'v20.20.0',
        cores: 2,
        cpuModel: 'x',
        runsPerConfig: 1,
        workloads: [],
      }),
    );
    const r = await runCli(['bench', '--from', report, '--html', 'a/r.html', '--html', 'b/r.html'], {
      cwd: dir,
    });
    clean(r.stderr);
    expect(r.code).toBe(0);
    expect((await fs.readFile(path.join(dir, 'b', 'r.html'), 'utf8')).length).toBeGreaterThan(0);
    await expect(fs.stat(path.join(dir, 'a'))).rejects.toThrow('ENOENT');
  });
});
