import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listFiles, sha256File, verifyDir } from '../../../src/bench/verify-dir.js';
import { tmpDir } from '../../helpers/tmp.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const A = Buffer.alloc(3000, 'a');
const B = Buffer.alloc(3000, 'b');

/** A real directory with a.bin and sub/b.bin, and the digests a run must produce there. */
async function setup() {
  const dir = await tmpDir();
  await fs.mkdir(path.join(dir, 'sub'));
  await fs.writeFile(path.join(dir, 'a.bin'), A);
  await fs.writeFile(path.join(dir, 'sub', 'b.bin'), B);
  const expected = new Map([
    ['a.bin', sha256(A)],
    ['sub/b.bin', sha256(B)],
  ]);
  return { dir, expected };
}

describe('verifyDir', () => {
  it('passes exactly the expected files with the expected bytes, sub-folders included', async () => {
    const { dir, expected } = await setup();
    expect(await verifyDir(dir, expected)).toBeUndefined();
    expect(await verifyDir(dir, expected, { size: 3000 })).toBeUndefined();
  });

  it('names a file whose bytes differ (same size, one byte changed)', async () => {
    const { dir, expected } = await setup();
    const wrong = Buffer.from(A);
    wrong[1234] = 0x62;
    await fs.writeFile(path.join(dir, 'a.bin'), wrong);
    expect(await verifyDir(dir, expected, { size: 3000 })).toMatch(
      /^a\.bin: sha256 [0-9a-f]{12}… is not the expected/,
    );
  });

  it('names a file of the wrong size before hashing it', async () => {
    const { dir, expected } = await setup();
    await fs.appendFile(path.join(dir, 'sub', 'b.bin'), 'x');
    expect(await verifyDir(dir, expected, { size: 3000 })).toBe('sub/b.bin has 3001 bytes, expected 3000');
  });

  it('names a missing file and an unexpected one (a leftover .part)', async () => {
    const { dir, expected } = await setup();
    await fs.rm(path.join(dir, 'a.bin'));
    expect(await verifyDir(dir, expected)).toBe('missing a.bin (1 in all)');
    await fs.writeFile(path.join(dir, 'a.bin.part'), A);
    expect(await verifyDir(dir, expected)).toBe('unexpected file a.bin.part (1 in all)');
  });

  it('says so when the directory is not there', async () => {
    const { dir, expected } = await setup();
    expect(await verifyDir(path.join(dir, 'nope'), expected)).toBe('no output dir (ENOENT)');
  });
});

describe('listFiles and sha256File', () => {
  it('lists files (not folders) as sorted relative paths, and digests a file', async () => {
    const { dir } = await setup();
    await fs.mkdir(path.join(dir, 'empty'));
    expect(await listFiles(dir)).toEqual(['a.bin', 'sub/b.bin']);
    expect(await sha256File(path.join(dir, 'sub', 'b.bin'))).toBe(sha256(B));
  });
});
