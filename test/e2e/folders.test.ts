import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { startServer, type TestServer } from '../helpers/http.js';
import { MODES, tmpDir } from '../helpers/tmp.js';

/**
 * Folders dlpool is told to make where none can be: Node's `mkdirSync(p, { recursive: true })` never returns
 * for `/proc/x` (it spins, deaf to SIGINT and SIGTERM), and a current directory that was removed makes every
 * `process.cwd()` throw. Each run here is killed after a bound: a hang fails the test, not the suite.
 */

let server: TestServer;
beforeAll(async () => {
  server = await startServer((_req, res) => res.writeHead(200, { 'content-length': '3' }).end('abc'));
});
afterAll(() => server.close());

interface Ended {
  code: number | null;
  stderr: string;
  hung: boolean;
}

/** `file ARGS` (node, or sh for a removed cwd), SIGKILLed if it has not ended after `ms`. */
function runWithin(file: string, args: string[], ms = 15_000): Promise<Ended> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      env: { ...process.env, CI: 'true', NO_COLOR: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, ms);
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, hung });
    });
  });
}

const dlpool = (args: string[]) => runWithin(process.execPath, [BIN, ...args]);

/** Ended on its own, exit 2, one line on stderr matching `line`, no stack trace. */
function expectOneLine(r: Ended, line: RegExp): void {
  expect(r.hung, 'still running: killed').toBe(false);
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(line);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
}

describe('a folder that cannot be made ends the run at once with one line (exit 2)', () => {
  for (const mode of MODES) {
    it(`-d /proc/nodir and -d /proc/self/x/y (${mode})`, async () => {
      const url = `${server.url}/a`;
      expectOneLine(
        await dlpool([url, '-d', '/proc/nodir', '--mode', mode]),
        /^dlpool: cannot create directory '\/proc\/nodir': No such file or directory/,
      );
      expectOneLine(
        await dlpool([url, '-d', '/proc/self/x/y', '--mode', mode]),
        /^dlpool: cannot create directory '\/proc\/self\/x': No such file or directory/,
      );
    });
  }

  it('get --manifest, merge --manifest and merge --failed in /proc/nodir say it as -d does', async () => {
    const dir = await tmpDir();
    const out = path.join(dir, 'out');
    expectOneLine(
      await dlpool([`${server.url}/a`, '-d', out, '--manifest', '/proc/nodir/SUMS', '-q']),
      /^dlpool: cannot create directory '\/proc\/nodir': No such file or directory/,
    );
    const list = path.join(dir, 'list.txt');
    await fs.writeFile(list, `${server.url}/a\n`);
    const sharded = await dlpool([list, '-d', out, '--shard-size', '1', '-q']);
    expect(sharded.code, sharded.stderr).toBe(0);
    for (const flag of ['--manifest', '--failed']) {
      expectOneLine(
        await dlpool(['merge', out, flag, '/proc/nodir/f.txt']),
        /^dlpool: cannot create directory '\/proc\/nodir': No such file or directory/,
      );
    }
  });

  it('merge --manifest and --failed make their folders, as get --manifest does', async () => {
    const dir = await tmpDir();
    const out = path.join(dir, 'out');
    const list = path.join(dir, 'list.txt');
    await fs.writeFile(list, `${server.url}/a\n${server.url}/b\n`);
    expect((await dlpool([list, '-d', out, '--shard-size', '1', '-q'])).code).toBe(0);
    const sums = path.join(dir, 'new', 'deeper', 'SUMS');
    const failed = path.join(dir, 'other', 'failed.txt');
    const r = await dlpool(['merge', out, '--manifest', sums, '--failed', failed]);
    expect(r.code, r.stderr).toBe(0);
    expect(await fs.readFile(sums, 'utf8')).toMatch(/^[0-9a-f]{64} {2}a\n[0-9a-f]{64} {2}b\n$/);
    expect(await fs.readFile(failed, 'utf8')).toBe('');
  });
});

describe('worker -d', () => {
  it('in a folder that cannot be made: one line and exit 2 before it asks Redis for a shard', async () => {
    // Port 1 refuses: a worker that got as far as Redis would say so instead.
    const dir = await tmpDir();
    expectOneLine(
      await dlpool([
        'worker',
        '--drain',
        '--list-root',
        dir,
        '-d',
        '/proc/nodir',
        '--redis',
        'redis://127.0.0.1:1',
      ]),
      /^dlpool: cannot create directory '\/proc\/nodir': No such file or directory/,
    );
  });
});

describe('bench --json and --html', () => {
  const saved = path.join(path.dirname(BIN), '..', 'bench-results', 'bench-demo.json');

  it('in a folder that cannot be made: one line, exit 2, before the bench runs', async () => {
    for (const flag of ['--json', '--html']) {
      expectOneLine(
        await dlpool(['bench', '--from', saved, flag, '/proc/nodir/report']),
        /^dlpool: cannot create directory '\/proc\/nodir': No such file or directory/,
      );
      // The full bench checks before its first run: its list is never fetched.
      const before = server.requests.length;
      expectOneLine(
        await dlpool(['bench', `${server.url}/a`, flag, '/proc/nodir/report']),
        /^dlpool: cannot create directory '\/proc\/nodir': No such file or directory/,
      );
      expect(server.requests.length).toBe(before);
    }
  });

  it('make their folders', async () => {
    const dir = await tmpDir();
    const json = path.join(dir, 'a', 'report.json');
    const html = path.join(dir, 'b', 'report.html');
    const r = await runWithin(process.execPath, [
      BIN,
      'bench',
      '--from',
      saved,
      '--json',
      json,
      '--html',
      html,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(await fs.readFile(json, 'utf8'))).toHaveProperty('workloads');
    expect(await fs.readFile(html, 'utf8')).toMatch(/<html/i);
  });
});

describe('a current directory that was removed', () => {
  // (spawn cannot start a process in a removed folder: a shell enters it, removes it, then runs dlpool.)
  const inRemoved = async (args: string[]) => {
    const gone = path.join(await tmpDir(), 'gone');
    await fs.mkdir(gone);
    const quoted = [process.execPath, BIN, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
    return runWithin('/bin/sh', ['-c', `cd '${gone}' && rmdir '${gone}' && exec ${quoted}`]);
  };

  it('every command says so in one line and exits 2', async () => {
    const out = path.join(await tmpDir(), 'out');
    for (const args of [
      [`${server.url}/a`],
      [`${server.url}/a`, '-d', out, '--mode', 'threads'],
      ['merge'],
      ['verify', '-c', 'SUMS'],
      ['hash', 'x'],
      ['--version'],
    ]) {
      expectOneLine(await inRemoved(args), /^dlpool: the current directory was removed \(getcwd: ENOENT\)/);
    }
  });
});
