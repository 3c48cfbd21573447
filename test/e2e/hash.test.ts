import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tmpDir } from '../helpers/tmp.js';
import { runCli } from '../helpers/cli.js';

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
    expect(bad.stderr).toMatch(/^dlpool: algo: unknown or unavailable algorithm 'nope'/);
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
