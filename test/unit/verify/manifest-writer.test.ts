import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManifestWriter } from '../../../src/verify/manifest.js';
import { tmpDir } from '../../helpers/tmp.js';

describe('ManifestWriter', () => {
  it('writes as it goes (memory stays flat on a long run) and has every line, in order, once closed', async () => {
    const file = path.join(await tmpDir(), 'SUMS');
    const w = await ManifestWriter.open(file, 'sha256');
    const hex = 'ab'.repeat(32);
    for (let i = 0; i < 2000; i++) w.add(i + 1, `f${i}.bin`, { algorithm: 'sha256', hex, verified: false });
    // 2000 lines are ~150 KB: most of them are on disk before the end.
    expect(fs.statSync(file).size).toBeGreaterThan(64 * 1024);
    w.add(2001, 'other', { algorithm: 'sha1', hex: 'cd'.repeat(20), verified: false });
    await w.close();
    const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
    expect(lines).toHaveLength(2001);
    expect(lines[0]).toBe(`${hex}  f0.bin`);
    expect(lines[1999]).toBe(`${hex}  f1999.bin`);
    expect(lines[2000]).toBe(`SHA1 (other) = ${'cd'.repeat(20)}`);
  });

  it('a full disk is an error at close, naming the file', async () => {
    const w = await ManifestWriter.open('/dev/full', 'sha256');
    w.add(1, 'a', { algorithm: 'sha256', hex: 'ab'.repeat(32), verified: false });
    await expect(w.close()).rejects.toThrow(/cannot write manifest '\/dev\/full': No space left on device$/);
  });

  it('is in entry order however the results come; one held back past the window does not stop the others', async () => {
    const dir = await tmpDir();
    const hex = 'ab'.repeat(32);
    const digest = { algorithm: 'sha256', hex, verified: false };
    // Entry 1 comes last, entry 5 has no file (failed); a window of 8 sends most lines through the temporary.
    const order = [...Array.from({ length: 98 }, (_, i) => i + 2), 1];
    for (const window of [8, undefined]) {
      const file = path.join(dir, `SUMS-${window}`);
      const w = await ManifestWriter.open(file, 'sha256', window);
      for (const id of order) w.add(id, id === 5 ? undefined : `f${id}`, id === 5 ? undefined : digest);
      // Nothing can be written before entry 1.
      expect(fs.statSync(file).size).toBe(0);
      await w.close();
      const names = fs
        .readFileSync(file, 'utf8')
        .trimEnd()
        .split('\n')
        .map((l) => l.slice(66));
      expect(names).toEqual(Array.from({ length: 99 }, (_, i) => `f${i + 1}`).filter((n) => n !== 'f5'));
    }
  });

  it('a temporary folder that cannot be used is an error at close that names it', async () => {
    const file = path.join(await tmpDir(), 'SUMS');
    const tmp = process.env.TMPDIR;
    process.env.TMPDIR = '/proc/nodir';
    try {
      const w = await ManifestWriter.open(file, 'sha256', 2);
      const digest = { algorithm: 'sha256', hex: 'ab'.repeat(32), verified: false };
      for (const id of [1, 5, 4, 3, 2]) w.add(id, `f${id}`, digest);
      await expect(w.close()).rejects.toThrow(
        /^cannot write manifest '.*SUMS': its temporary file in '\/proc\/nodir': No such file or directory$/,
      );
    } finally {
      if (tmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = tmp;
    }
  });
});
