import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tmpDir } from '../helpers/tmp.js';
import { runCli } from '../helpers/cli.js';

const run = (args: string[]) => runCli(args);

const sha = (s: string, algo = 'sha256') => crypto.createHash(algo).update(s).digest('hex');

describe('dlpool verify', () => {
  it.each(['inline', 'threads', 'processes'])(
    'prints sha256sum -c style lines in file order and exits by the result (--hash-pool %s)',
    async (pool) => {
      const dir = await tmpDir();
      await fs.mkdir(path.join(dir, 'sub'));
      await fs.writeFile(path.join(dir, 'a.txt'), 'alpha');
      await fs.writeFile(path.join(dir, 'sub', 'b.txt'), 'beta');
      await fs.writeFile(path.join(dir, 'c.txt'), 'gamma');
      const sums = path.join(dir, 'SUMS');
      await fs.writeFile(
        sums,
        `${sha('alpha')}  a.txt\nSHA1 (sub/b.txt) = ${sha('beta', 'sha1')}\n${sha('alpha')} *c.txt\n${sha('x')}  missing.txt\n`,
      );
      const bad = await run(['verify', sums, '-d', dir, '--hash-pool', pool, '-w', '2']);
      expect(bad.code).toBe(1);
      expect(bad.stdout).toBe('a.txt: OK\nsub/b.txt: OK\nc.txt: FAILED\nmissing.txt: FAILED open or read\n');
      expect(bad.stderr).toMatch(/^dlpool: WARNING: 1 computed checksum did NOT match$/m);
      // Why, as sha256sum -c says it.
      expect(bad.stderr).toMatch(/^dlpool: missing\.txt: No such file or directory$/m);

      await fs.writeFile(sums, `${sha('alpha')}  a.txt\n${sha('gamma')}  ./c.txt\n`);
      const good = await run(['verify', sums, '-d', dir, '--hash-pool', pool, '-q']);
      expect(good.code).toBe(0);
      expect(good.stdout).toBe('');
    },
  );

  it('--json gives every result; an unreadable checksum file is exit 2', async () => {
    const dir = await tmpDir();
    await fs.writeFile(path.join(dir, 'a'), 'alpha');
    await fs.writeFile(path.join(dir, 'SUMS'), `${sha('alpha')}  a\n`);
    const r = await run(['verify', path.join(dir, 'SUMS'), '-d', dir, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: 1, failed: 0, results: [{ name: 'a', status: 'ok' }] });
    const missing = await run(['verify', path.join(dir, 'NOPE')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read checksum file .*NOPE/);
  });

  it('- reads the checksum file from standard input, as sha256sum -c - does', async () => {
    const dir = await tmpDir();
    await fs.writeFile(path.join(dir, 'a'), 'alpha');
    await fs.writeFile(path.join(dir, 'b'), 'beta');
    const stdin = `${sha('alpha')}  a\n${sha('gamma')}  b\n`;
    const r = await runCli(['verify', '-', '-d', dir], { stdin });
    expect(r.stderr).not.toMatch(/cannot read/);
    expect(r.stdout).toBe('a: OK\nb: FAILED\n');
    expect(r.code).toBe(1);
  });

  it('--algo names the algorithm of untagged lines: sha3-256 digests are as long as sha256 ones', async () => {
    const dir = await tmpDir();
    await fs.writeFile(path.join(dir, 'a'), 'alpha');
    const sha3 = crypto.createHash('sha3-256').update('alpha').digest('hex');
    await fs.writeFile(path.join(dir, 'SUMS'), `${sha3}  a\n`);
    const byLength = await run(['verify', path.join(dir, 'SUMS'), '-d', dir]);
    expect(byLength.stdout).toBe('a: FAILED\n');
    const named = await run(['verify', path.join(dir, 'SUMS'), '-d', dir, '--algo', 'sha3-256']);
    expect(named.stdout).toBe('a: OK\n');
    expect(named.code).toBe(0);
  });
});
