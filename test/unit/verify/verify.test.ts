import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { verify } from '../../../src/verify/verify.js';
import { tmpDir } from '../../helpers/tmp.js';

const hex = (algorithm: string, s: string) => crypto.createHash(algorithm).update(s).digest('hex');

describe('verify: the algorithm of untagged lines', () => {
  async function sums(text: string): Promise<{ dir: string; file: string }> {
    const dir = await tmpDir();
    await fs.writeFile(path.join(dir, 'a'), 'alpha');
    await fs.writeFile(path.join(dir, 'b'), 'beta');
    await fs.writeFile(path.join(dir, 'SUMS'), text);
    return { dir, file: path.join(dir, 'SUMS') };
  }

  it('is `algorithm` for digests of its length (as cksum -a reads them), the length decides the others', async () => {
    const { dir, file } = await sums(`${hex('sha3-256', 'alpha')}  a\n${hex('sha1', 'beta')}  b\n`);
    const r = await verify({ sums: file, dir, algorithm: 'sha3-256' });
    expect(r.results.map((x) => [x.name, x.algorithm, x.status])).toEqual([
      ['a', 'sha3-256', 'ok'],
      ['b', 'sha1', 'ok'],
    ]);
    // Without it, 64 digits are sha256, as sha256sum -c reads them.
    const plain = await verify({ sums: file, dir });
    expect(plain.results.map((x) => [x.algorithm, x.status])).toEqual([
      ['sha256', 'failed'],
      ['sha1', 'ok'],
    ]);
  });

  it('refuses an algorithm this Node cannot hash with, naming the option', async () => {
    const { dir, file } = await sums(`${hex('sha256', 'alpha')}  a\n`);
    await expect(verify({ sums: file, dir, algorithm: 'adler32' })).rejects.toMatchObject({
      message: expect.stringMatching(/^algorithm: unknown or unavailable algorithm 'adler32'/),
    });
  });
});
