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
    for (let i = 0; i < 2000; i++) w.add(`f${i}.bin`, { algorithm: 'sha256', hex, verified: false });
    // 2000 lines are ~150 KB: most of them are on disk before the end.
    expect(fs.statSync(file).size).toBeGreaterThan(64 * 1024);
    w.add('other', { algorithm: 'sha1', hex: 'cd'.repeat(20), verified: false });
    await w.close();
    const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
    expect(lines).toHaveLength(2001);
    expect(lines[0]).toBe(`${hex}  f0.bin`);
    expect(lines[1999]).toBe(`${hex}  f1999.bin`);
    expect(lines[2000]).toBe(`SHA1 (other) = ${'cd'.repeat(20)}`);
  });

  it('a full disk is an error at close, naming the file', async () => {
    const w = await ManifestWriter.open('/dev/full', 'sha256');
    w.add('a', { algorithm: 'sha256', hex: 'ab'.repeat(32), verified: false });
    await expect(w.close()).rejects.toThrow(/cannot write manifest '\/dev\/full': No space left on device$/);
  });
});
