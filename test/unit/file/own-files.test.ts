import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { eachOwnLine, OwnFileWriter, readOwnSmallSync } from '../../../src/store/own-files.js';
import { tmpDir } from '../../helpers/tmp.js';

const lines = async (p: string, maxLineBytes = 1 << 20, maxLines = 1e6) => {
  const got: string[] = [];
  await eachOwnLine(p, { maxLineBytes, maxLines }, (l) => got.push(l));
  return got;
};

describe("dlpool's own files", () => {
  it('lines come whole across reads, a last line without a newline counts, and the bounds hold', async () => {
    const dir = await tmpDir();
    const p = path.join(dir, 'f');
    // Lines that straddle the 64 KiB reads, and multi-byte characters cut by them.
    const want = Array.from({ length: 40 }, (_, i) => `${'é'.repeat(1000 + i * 97)}${i}`);
    await fs.writeFile(p, want.join('\n'));
    expect(await lines(p)).toEqual(want);
    await expect(lines(p, 1500)).rejects.toThrow(/line 1 is longer than 1500 bytes/);
    await expect(lines(p, 1 << 20, 39)).rejects.toThrow(/more than 39 lines/);
  });

  it('a link, a FIFO, a missing file and a file over the bound: refused or absent, never followed or waited on', async () => {
    const dir = await tmpDir();
    const victim = path.join(dir, 'victim');
    await fs.writeFile(victim, 'mine\n');
    await fs.symlink(victim, path.join(dir, 'link'));
    execFileSync('mkfifo', [path.join(dir, 'fifo')]);
    await fs.writeFile(path.join(dir, 'big'), 'x'.repeat(4097));
    expect(() => readOwnSmallSync(path.join(dir, 'link'), 4096)).toThrow(/is a symbolic link/);
    expect(() => readOwnSmallSync(path.join(dir, 'fifo'), 4096)).toThrow(/is a FIFO/);
    expect(() => readOwnSmallSync(path.join(dir, 'big'), 4096)).toThrow(/larger than 4096 bytes/);
    expect(readOwnSmallSync(path.join(dir, 'none'), 4096)).toBeUndefined();
    expect(readOwnSmallSync(victim, 4096)).toBe('mine\n');
    await expect(lines(path.join(dir, 'fifo'))).rejects.toThrow(/is a FIFO/);
    await expect(lines(path.join(dir, 'link'))).rejects.toThrow(/is a symbolic link/);
  });

  it('a writer replaces the file whole, leaves what is planted beside it, and a discarded one leaves nothing', async () => {
    const dir = await tmpDir();
    const p = path.join(dir, 'SUMS');
    const victim = path.join(dir, 'victim');
    await fs.writeFile(victim, 'mine\n');
    await fs.symlink(victim, p); // replaced, not followed
    await fs.link(victim, `${p}.part`);
    const w = OwnFileWriter.create(p);
    w.write('a\n');
    w.write('b\n');
    w.commit();
    expect(await fs.readFile(p, 'utf8')).toBe('a\nb\n');
    expect(await fs.readFile(victim, 'utf8')).toBe('mine\n');
    const d = OwnFileWriter.create(path.join(dir, 'other'));
    d.write('x');
    d.discard();
    expect((await fs.readdir(dir)).sort()).toEqual(['SUMS', 'SUMS.part', 'victim']);
  });
});
