import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startServer, type TestServer } from '../helpers/http.js';
import { listFiles, tmpDir } from '../helpers/tmp.js';

let server: TestServer;
beforeAll(async () => {
  server = await startServer((_req, res) => res.end('x'));
});
afterAll(async () => {
  await server.close();
});

/** A home whose default config file ($XDG_CONFIG_HOME/dlpool/config) holds `text`; its env for runCli. */
async function home(text: string): Promise<{ dir: string; file: string; env: Record<string, string> }> {
  const dir = await tmpDir();
  const file = path.join(dir, 'xdg', 'dlpool', 'config');
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
  return { dir, file, env: { HOME: dir, XDG_CONFIG_HOME: path.join(dir, 'xdg') } };
}

/** The User-Agent and X-A/X-B headers a path was requested with. */
function seen(p: string): string[] {
  const r = server.requests.find((x) => x.path === p);
  return [String(r?.headers['user-agent']), String(r?.headers['x-a']), String(r?.headers['x-b'])];
}

const FILE = '# my defaults\nuser-agent = my-agent/1\nconcurrency = 32\n\nheader = X-A: 1\n';

describe('the config file ($XDG_CONFIG_HOME/dlpool/config)', () => {
  it('sets user-agent and concurrency for get', async () => {
    const h = await home(FILE);
    const tag = Math.random().toString(36).slice(2);
    const r = await runCli(['-d', h.dir, `${server.url}/${tag}`], { env: h.env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(seen(`/${tag}`)).toEqual(['my-agent/1', '1', 'undefined']);
    const p = await runCli(['--print-config'], { env: h.env });
    expect(p.code).toBe(0);
    expect(p.stdout).toContain(`# ${h.file}:3\nconcurrency = 32\n`);
    expect(p.stdout).toContain(`# ${h.file}:2\nuser-agent = my-agent/1\n`);
  });

  it('is overridden by the command line; a repeatable option adds the command line to the file', async () => {
    const h = await home(FILE);
    const tag = Math.random().toString(36).slice(2);
    const args = ['-d', h.dir, '--user-agent', 'cli/2', '-j', '4', '-H', 'X-B: 2'];
    const r = await runCli([...args, `${server.url}/${tag}`], { env: h.env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(seen(`/${tag}`)).toEqual(['cli/2', '1', '2']);
    const p = await runCli([...args, '--print-config'], { env: h.env });
    expect(p.stdout).toContain('# command line\nconcurrency = 4\n');
    expect(p.stdout).toContain('# command line\nuser-agent = cli/2\n');
    expect(p.stdout).toContain(`# ${h.file}:5\nheader = X-A: 1\n# command line\nheader = X-B: 2\n`);
  });

  it('--no-config ignores it', async () => {
    const h = await home(`${FILE}concurrency = 0\n`);
    const tag = Math.random().toString(36).slice(2);
    const r = await runCli(['--no-config', '-d', h.dir, `${server.url}/${tag}`], { env: h.env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(seen(`/${tag}`)[0]).toMatch(/^dlpool\//);
  });

  it.each([
    ['concurrency = 0', 'concurrency: expected a whole number from 1 to 10000, got 0'],
    ['per-host = 0', 'per-host: expected a whole number from 1 to 10000, got 0'],
    ['timeout = soon', "timeout: expected a number, got 'soon'"],
    ['max-size = big', 'max-size: expected bytes such as 500K, 10M or 2G, got big'],
    ['mode = thread', "mode: expected async or threads, got 'thread' (did you mean threads?)"],
    ['output = -', "output: '-' (standard output) is for the command line only: give -o - there"],
    [
      'cookie-jar = -',
      "cookie-jar: '-' (standard output) is for the command line only: give --cookie-jar - there",
    ],
    ['bogus line', "expected 'name = value' (or a flag's name alone), got 'bogus line'"],
    ['overwrite = yes', "overwrite: expected true or false (or the name alone for true), got 'yes'"],
    ['concurency = 3', "unknown option 'concurency' (did you mean concurrency?)"],
    ['j = 3', 'j: write the long name, concurrency'],
    ['user-agent', 'user-agent: needs a value (user-agent = S)'],
  ])('a bad line (%s) is FILE:LINE, exit 2, and nothing is fetched', async (line, message) => {
    const h = await home(`${FILE}${line}\n`);
    const out = path.join(h.dir, 'out');
    const r = await runCli(['-d', out, `${server.url}/never`], { env: h.env });
    expect(r.stderr).toBe(`dlpool: ${h.file}:6: ${message}\n`);
    expect(r.code).toBe(2);
    expect(await listFiles(out).catch(() => [])).toEqual([]);
  });

  it.each([
    ['mode = thread', ['--mode', 'thread']],
    ['concurrency = 0', ['--concurrency', '0']],
    ['timeout = soon', ['--timeout', 'soon']],
    ['max-size = big', ['--max-size', 'big']],
    ['progress = foo', ['--progress', 'foo']],
    ['hash-pool = thread', ['--hash-pool', 'thread']],
    ['limit-rate = fast', ['--limit-rate', 'fast']],
  ])('a bad line (%s) says what the same value says on the command line', async (line, args) => {
    const h = await home(`${line}\n`);
    const fromFile = await runCli([`${server.url}/never`], { env: h.env });
    const fromArgs = await runCli(['--no-config', ...args, `${server.url}/never`], { env: h.env });
    const said = (stderr: string, prefix: string) => stderr.split('\n')[0]!.slice(prefix.length);
    expect(said(fromFile.stderr, `dlpool: ${h.file}:1: ${line.split(' ')[0]!}`)).toBe(
      said(fromArgs.stderr, `dlpool: ${args[0]!}`),
    );
    expect(fromFile.code).toBe(2);
  });

  it('--config FILE is read instead; a missing one is exit 2, a missing default file is fine', async () => {
    const h = await home('concurrency = 0\n');
    const other = path.join(h.dir, 'other.conf');
    await writeFile(other, 'concurrency = 7\noverwrite\n');
    const p = await runCli(['--config', other, '--print-config'], { env: h.env });
    expect(p.stderr).toBe('');
    expect(p.stdout).toContain(`# ${other}:1\nconcurrency = 7\n`);
    expect(p.stdout).toContain(`# ${other}:2\noverwrite = true\n`);
    const missing = path.join(h.dir, 'missing.conf');
    const m = await runCli(['--config', missing, `${server.url}/never`], { env: h.env });
    expect(m.stderr).toBe(`dlpool: config file ${missing}: cannot open it (ENOENT)\n`);
    expect(m.code).toBe(2);
    const empty = await tmpDir();
    const d = await runCli(['--print-config'], { env: { HOME: empty, XDG_CONFIG_HOME: empty } });
    expect(d.code).toBe(0);
    expect(d.stdout).toContain('# config file: none\n');
  });

  it("--print-config's output read as a config file gives the same options ('#' in a value too)", async () => {
    const h = await home(`${FILE}user-agent = a # b\nmax-size = 2G\n`);
    const first = await runCli(['-j', '3', '--print-config'], { env: h.env });
    expect(first.stdout).toContain('\nuser-agent = a # b\n');
    const saved = path.join(h.dir, 'saved.conf');
    await writeFile(saved, first.stdout);
    const again = await runCli(['--config', saved, '--print-config'], { env: h.env });
    expect(again.stderr).toBe('');
    const values = (out: string) => out.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(values(again.stdout)).toEqual(values(first.stdout));
    expect(values(again.stdout)).toContain('concurrency = 3');
  });

  it('worker reads it too', async () => {
    const h = await home(FILE);
    const p = await runCli(
      ['worker', '--redis', 'redis://127.0.0.1:1', '--list-root', h.dir, '--print-config'],
      { env: h.env },
    );
    expect(p.stderr).toBe('');
    expect(p.code).toBe(0);
    expect(p.stdout).toContain(`# ${h.file}:3\nconcurrency = 32\n`);
  });

  it('worker --print-config needs neither --redis nor --list-root; without it, both are still required', async () => {
    const h = await home(FILE);
    const p = await runCli(['worker', '-j', '3', '--print-config'], { env: h.env });
    expect(p.stderr).toBe('');
    expect(p.code).toBe(0);
    expect(p.stdout).toContain('# command line\nconcurrency = 3\n');
    const q = await runCli(['worker', '-j', '3'], { env: h.env });
    expect(q.code).toBe(2);
    expect(q.stderr).toMatch(/^dlpool: --redis URL is required: .*; --list-root DIR is required: /);
  });
});
