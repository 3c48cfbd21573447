import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type RunningServer } from '../../src/server/index.js';
import { synthBytes } from '../../src/server/synth.js';
import { listFiles, tmpDir } from '../helpers/tmp.js';
import { BIN, runCli } from '../helpers/cli.js';

const IS_ROOT = process.getuid?.() === 0;
/** The uid a root test runs the CLI as, so directory modes bite (root ignores them). */
const NOBODY = 65534;

const run = (args: string[], uid?: number, bin?: string) => runCli(args, { uid, bin });

/**
 * The CLI where uid 65534 can read it: the checkout may sit under a directory only root may enter (a clone in
 * `mktemp -d`), so bin/ and dist/ (the bundled CLI) are copied into a fresh world-readable folder. Undefined
 * when even that copy does not start as that uid.
 */
async function cliForNobody(): Promise<string | undefined> {
  const dir = await tmpDir('dlpool-cli-');
  const root = fileURLToPath(new URL('../../', import.meta.url));
  for (const part of ['bin', 'dist', 'package.json']) {
    await fs.cp(path.join(root, part), path.join(dir, part), { recursive: true });
  }
  execFileSync('chmod', ['-R', 'a+rX', dir]);
  const bin = path.join(dir, 'bin', 'dlpool.js');
  const r = await run(['--version'], NOBODY, bin);
  return r.code === 0 ? bin : undefined;
}

/** A 1 MiB tmpfs: a real full disk. Needs root (CI runs as root); undefined (test skipped) when mount is refused. */
async function smallFilesystem(): Promise<string | undefined> {
  if (!IS_ROOT) return undefined;
  const dir = await tmpDir('dlpool-enospc-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    return undefined;
  }
}

let server: RunningServer;
let small: string | undefined;
beforeAll(async () => {
  server = await createServer({});
  small = await smallFilesystem();
});
afterAll(async () => {
  await server.close();
  if (small) execFileSync('umount', [small]);
});

const KiB = 1024;
const bodyOf = (p: string, size: number) => synthBytes(p, 0, size);

describe('disk errors', () => {
  it.runIf(IS_ROOT)(
    `a full disk (ENOSPC) fails only the file that did not fit, naming it, and frees its .part${IS_ROOT ? '' : ' (SKIPPED: mounting a small tmpfs needs root)'}`,
    async (ctx) => {
      if (!small) {
        console.warn('SKIPPED: mount -t tmpfs was refused here');
        ctx.skip('mount -t tmpfs was refused here');
        return;
      }
      const files = [
        ['/gen/100K/a.bin', 100 * KiB],
        ['/gen/3M/big.bin', 3072 * KiB],
        ['/gen/200K/b.bin', 200 * KiB],
        ['/gen/300K/c.bin', 300 * KiB],
      ] as const;
      const list = path.join(await tmpDir(), 'list.txt');
      await fs.writeFile(list, files.map(([p]) => `${server.url}${p.slice(1)}\n`).join(''));
      const out = path.join(small, 'out');
      const r = await run(['get', list, '-d', out, '-j', '1', '--progress', 'none']);
      expect(r.code).toBe(1);
      const errLine = r.stderr.split('\n').find((l) => l.includes('big.bin'));
      expect(errLine).toMatch(/ERR_DL_FILE/);
      expect(errLine).toContain(path.join(out, 'big.bin.part'));
      expect(errLine).toContain(': No space left on device');
      // The files that fit are complete; the one that did not is gone, .part included.
      expect(await listFiles(out)).toEqual(['a.bin', 'b.bin', 'c.bin']);
      for (const [p, size] of files.filter(([p]) => !p.includes('big'))) {
        const got = await fs.readFile(path.join(out, path.basename(p)));
        expect(got.equals(bodyOf(p, size)), p).toBe(true);
      }
    },
  );

  it('an output directory that cannot be made is one line naming it and exit 2, not an internal error', async () => {
    const base = await tmpDir();
    const file = path.join(base, 'a-file');
    await fs.writeFile(file, 'x');
    const dir = path.join(file, 'sub');
    const r = await run(['get', `${server.url}gen/1K/a.bin`, '-d', dir, '--progress', 'none']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`dlpool: cannot create directory '${dir}': Not a directory\n`);
    expect(r.stdout).toBe('');
  });

  it('a directory it may not write fails those entries with the path and the reason (Permission denied); the rest download', async (ctx) => {
    const cli = IS_ROOT ? await cliForNobody() : BIN;
    if (cli === undefined)
      return ctx.skip('uid 65534 cannot run node from a world-readable copy of the CLI here');
    const base = await tmpDir();
    await fs.chmod(base, 0o755);
    const out = path.join(base, 'out');
    const ok = path.join(out, 'ok');
    await fs.mkdir(ok, { recursive: true });
    // As root, run the CLI as nobody: root ignores directory modes. Otherwise a read-only dir does it.
    if (IS_ROOT) await fs.chown(ok, NOBODY, NOBODY);
    else await fs.chmod(out, 0o555);
    const list = path.join(base, 'list.txt');
    await fs.writeFile(
      list,
      [
        `${server.url}gen/10K/denied.bin`,
        `${server.url}gen/600K/denied-big.bin`,
        `${server.url}gen/10K/fine.bin\n  dir=ok`,
        `${server.url}gen/600K/fine-big.bin\n  dir=ok`,
        `${server.url}gen/10K/new.bin\n  dir=newdir`,
      ].join('\n'),
    );
    await fs.chmod(list, 0o644);
    const r = await run(
      ['get', list, '-d', out, '-j', '4', '--progress', 'none'],
      IS_ROOT ? NOBODY : undefined,
      cli,
    );
    if (!IS_ROOT) await fs.chmod(out, 0o755);
    expect(r.code).toBe(1);
    for (const [name, action] of [
      // (Its lock, NAME.part.lock, is the first file a download makes.)
      ['denied.bin.part.lock', 'create'],
      ['denied-big.bin.part.lock', 'create'],
      ['newdir', 'create directory'],
    ] as const) {
      const line = r.stderr.split('\n').find((l) => l.includes(path.join(out, name)));
      expect(line, name).toMatch(new RegExp(`cannot ${action} .*: Permission denied.*ERR_DL_FILE`));
    }
    expect(await listFiles(out)).toEqual(['ok/fine-big.bin', 'ok/fine.bin']);
    expect(
      (await fs.readFile(path.join(ok, 'fine-big.bin'))).equals(bodyOf('/gen/600K/fine-big.bin', 600 * KiB)),
    ).toBe(true);
  });
});
