import { execFile, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tmpDir } from '../helpers/tmp.js';
import { BIN, runCli } from '../helpers/cli.js';

const run = (args: string[], cwd: string) => runCli(args, { cwd });

async function fixture(): Promise<{ dir: string; files: string[] }> {
  const dir = await tmpDir();
  const files = ['empty', 'one', 'mid.bin', 'big.bin'];
  await fs.writeFile(path.join(dir, 'empty'), '');
  await fs.writeFile(path.join(dir, 'one'), 'x');
  await fs.writeFile(
    path.join(dir, 'mid.bin'),
    Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256)),
  );
  await fs.writeFile(path.join(dir, 'big.bin'), Buffer.alloc(3 * 1024 * 1024 + 5, 0xa5));
  return { dir, files };
}

describe('dlpool hash', () => {
  // coreutils is the second implementation every digest is checked against.
  const tools: [string, string][] = [
    ['md5', 'md5sum'],
    ['sha1', 'sha1sum'],
    ['sha224', 'sha224sum'],
    ['sha256', 'sha256sum'],
    ['sha384', 'sha384sum'],
    ['sha512', 'sha512sum'],
  ];
  for (const pool of ['inline', 'threads', 'processes']) {
    it(`matches coreutils for every algorithm, in argument order (--hash-pool ${pool})`, async () => {
      const { dir, files } = await fixture();
      for (const [algo, tool] of tools) {
        const ours = await run(['hash', '--algo', algo, '--hash-pool', pool, '-w', '2', ...files], dir);
        const theirs = await promisify(execFile)(tool, files, { cwd: dir });
        expect(ours.code, algo).toBe(0);
        expect(ours.stdout, algo).toBe(theirs.stdout);
      }
    });
  }

  it('exits 1 naming an unreadable file and still prints the others; bad algorithm is exit 2', async () => {
    const { dir } = await fixture();
    const r = await run(['hash', 'one', 'missing', 'empty'], dir);
    expect(r.code).toBe(1);
    expect(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('  ')[1]),
    ).toEqual(['one', 'empty']);
    expect(r.stderr).toBe('dlpool: missing: No such file or directory\n');
    const bad = await run(['hash', '--algo', 'nope', 'one'], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^dlpool: --algo: unknown or unavailable algorithm 'nope'/);
    // aria2 and list checksum types name one, but node:crypto cannot compute it.
    const adler = await run(['hash', '--algo', 'adler32', 'one'], dir);
    expect(adler.code).toBe(2);
    expect(adler.stderr).toMatch(/^dlpool: --algo: unknown or unavailable algorithm 'adler32'/);
  });

  it("takes aria2's and the BSD tags' spellings of an algorithm (sha-256, SHA3-256)", async () => {
    const { dir, files } = await fixture();
    const theirs = await promisify(execFile)('sha256sum', files, { cwd: dir });
    expect((await run(['hash', '--algo', 'sha-256', ...files], dir)).stdout).toBe(theirs.stdout);
    const sha3 = await run(['hash', '--algo', 'SHA3-256', 'one'], dir);
    expect(sha3.stdout).toBe(`${createHash('sha3-256').update('x').digest('hex')}  one\n`);
  });
});

describe('hash -r DIR', () => {
  it('hashes the files under a directory in a stable order; without -r it says how', async () => {
    const { mkdtemp, mkdir, writeFile, symlink } = await import('node:fs/promises');
    const os = await import('node:os');
    const root = await mkdtemp(`${os.tmpdir()}/dlpool-hash-r-`);
    await mkdir(`${root}/d/sub`, { recursive: true });
    await writeFile(`${root}/d/b.txt`, 'b');
    await writeFile(`${root}/d/a.txt`, 'a');
    await writeFile(`${root}/d/sub/c.txt`, 'c');
    await symlink('/etc/hostname', `${root}/d/link`);
    const r = await runCli(['hash', '-r', 'd'], { cwd: root });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // Names as find would give them, sorted; a symbolic link is not followed (as find -type f).
    expect(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('  ')[1]),
    ).toEqual(['d/a.txt', 'd/b.txt', 'd/sub/c.txt']);
    const plain = await runCli(['hash', 'd'], { cwd: root });
    expect(plain.code).toBe(1);
    expect(plain.stderr).toBe('dlpool: d: Is a directory (dlpool hash -r d hashes the files in it)\n');
  });
});

/** Names a terminal would act on, and the ones sha256sum escapes (`\`, newline, CR). */
const HOSTILE = [
  'title\x1b]0;owned\x07.bin',
  'red\x1b[31m.bin',
  'back\\slash',
  'new\nline',
  'car\rriage',
  'bidi\u202etxt.exe',
];

async function hostileFiles(): Promise<string> {
  const dir = await tmpDir();
  for (const [i, name] of HOSTILE.entries()) await fs.writeFile(path.join(dir, name), `content ${i}`);
  return dir;
}

/** Runs dlpool in a real pseudo-terminal (util-linux `script`): what it wrote there, LF for the tty's CRLF. */
function inTerminal(args: string[], cwd: string): Promise<string> {
  const command = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qefc', command, '/dev/null'], {
      cwd,
      env: { ...process.env, CI: '', NO_COLOR: '1', TERM: 'xterm' },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', reject);
    child.on('close', () => resolve(out.replace(/\r\n/g, '\n')));
  });
}

describe('hash: names a terminal would act on', () => {
  it('to a pipe: byte for byte what sha256sum prints, and sha256sum -c reads it back', async () => {
    const dir = await hostileFiles();
    const ours = await run(['hash', ...HOSTILE], dir);
    const theirs = await promisify(execFile)('sha256sum', HOSTILE, { cwd: dir });
    expect(ours.code).toBe(0);
    expect(ours.stdout).toBe(theirs.stdout);
    await fs.writeFile(path.join(dir, 'SUMS'), ours.stdout);
    const check = await promisify(execFile)('sha256sum', ['-c', '--strict', 'SUMS'], { cwd: dir });
    expect(check.stdout.split('\n').filter((l) => l.endsWith(': OK'))).toHaveLength(HOSTILE.length);
  });

  it.skipIf(spawnSync('script', ['--version']).status !== 0)(
    'on a terminal: every name shown through the sanitiser, no control or bidi character raw',
    async () => {
      const dir = await hostileFiles();
      const shown = await inTerminal(['hash', ...HOSTILE], dir);
      const digest = (i: number) => createHash('sha256').update(`content ${i}`).digest('hex');
      expect(shown).toBe(
        [
          `${digest(0)}  title\\x1b]0;owned\\x07.bin`,
          `${digest(1)}  red\\x1b[31m.bin`,
          `\\${digest(2)}  back\\\\slash`,
          `\\${digest(3)}  new\\nline`,
          `\\${digest(4)}  car\\rriage`,
          `${digest(5)}  bidi\\u202etxt.exe`,
          '',
        ].join('\n'),
      );
      expect(shown).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e]/u);
    },
  );

  it('error lines name the file through the sanitiser', async () => {
    const dir = await tmpDir();
    const r = await run(['hash', 'gone\x1b]0;owned\x07'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('dlpool: gone\\x1b]0;owned\\x07: No such file or directory\n');
  });

  it.skipIf(process.getuid?.() !== 0)(
    '-r: a folder it cannot list is one error line (sanitised), the others are hashed, exit 1',
    async () => {
      const dir = await tmpDir();
      await fs.chmod(dir, 0o755);
      const locked = path.join(dir, 'd', 'locked\x1b[2J');
      await fs.mkdir(locked, { recursive: true });
      await fs.writeFile(path.join(locked, 'inside'), 'i');
      await fs.writeFile(path.join(dir, 'd', 'ok.txt'), 'ok');
      await fs.chmod(path.join(dir, 'd'), 0o755);
      await fs.chmod(locked, 0o000);
      const r = await runCli(['hash', '-r', 'd'], { cwd: dir, uid: 65534 });
      expect(r.stderr).toBe('dlpool: d/locked\\x1b[2J: Permission denied\n');
      expect(r.stdout).toBe(`${createHash('sha256').update('ok').digest('hex')}  d/ok.txt\n`);
      expect(r.code).toBe(1);
      const json = await runCli(['hash', '-r', '--json', 'd'], { cwd: dir, uid: 65534 });
      expect(json.stderr).toBe('');
      expect(json.code).toBe(1);
      const doc = JSON.parse(json.stdout) as {
        results: { name: string; status: string; error: { errno: string } | null }[];
      };
      expect(doc).toMatchObject({ ok: 1, unreadable: 1 });
      expect(doc.results.map((x) => [x.name, x.status, x.error?.errno ?? null])).toEqual([
        ['d/ok.txt', 'ok', null],
        ['d/locked\x1b[2J', 'unreadable', 'EACCES'],
      ]);
    },
  );
});

describe('hash - (standard input)', () => {
  for (const pool of ['inline', 'threads', 'processes']) {
    it(`- is standard input, as sha256sum reads it, between files (--hash-pool ${pool})`, async () => {
      const { dir } = await fixture();
      const input = 'from stdin\n'.repeat(50_000);
      const ours = await runCli(['hash', '--hash-pool', pool, 'one', '-', 'empty'], {
        cwd: dir,
        stdin: input,
      });
      const theirs = spawnSync('sha256sum', ['one', '-', 'empty'], { cwd: dir, input, encoding: 'utf8' });
      expect(ours.stderr).toBe('');
      expect(ours.code).toBe(0);
      expect(ours.stdout).toBe(theirs.stdout);
      expect(ours.stdout).toContain(`${createHash('sha256').update(input).digest('hex')}  -\n`);
    });
  }

  it('- twice: the second reads what is left (nothing), as sha256sum; --json names it -', async () => {
    const { dir } = await fixture();
    const ours = await runCli(['hash', '-', '-'], { cwd: dir, stdin: 'abc' });
    const theirs = spawnSync('sha256sum', ['-', '-'], { cwd: dir, input: 'abc', encoding: 'utf8' });
    expect(ours.code).toBe(0);
    expect(ours.stdout).toBe(theirs.stdout);
    const json = await runCli(['hash', '--json', '-'], { cwd: dir, stdin: 'abc' });
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout) as { results: { name: string; hex: string }[] };
    expect(doc.results).toMatchObject([{ name: '-', hex: createHash('sha256').update('abc').digest('hex') }]);
  });

  it('- when standard input is a directory: Is a directory, exit 1, as sha256sum says', async () => {
    const { dir } = await fixture();
    const fd = openSync(dir, 'r');
    try {
      const r = spawnSync(process.execPath, [BIN, 'hash', '-', 'one'], {
        cwd: dir,
        stdio: [fd, 'pipe', 'pipe'],
        encoding: 'utf8',
        env: { ...process.env, CI: 'true' },
      });
      expect(r.stderr).toBe('dlpool: -: Is a directory\n');
      expect(r.stdout).toBe(`${createHash('sha256').update('x').digest('hex')}  one\n`);
      expect(r.status).toBe(1);
    } finally {
      closeSync(fd);
    }
  });

  it('./- is the file named -', async () => {
    const { dir } = await fixture();
    await fs.writeFile(path.join(dir, '-'), 'dash');
    const r = await runCli(['hash', './-'], { cwd: dir, stdin: 'not this' });
    expect(r.stdout).toBe(`${createHash('sha256').update('dash').digest('hex')}  ./-\n`);
  });
});
