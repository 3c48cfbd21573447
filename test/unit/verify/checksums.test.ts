import crypto from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { HASH_ALGORITHMS, isUsableHash } from '../../../src/hash/algorithms.js';
import { escapeName, manifestLine, parseChecksumLine } from '../../../src/verify/checksums.js';
import { ExpectedDigests, loadExpected } from '../../../src/verify/manifest.js';
import type { DownloadEvent } from '../../../src/events.js';
import { tmpDir } from '../../helpers/tmp.js';

/** The compiled module, for the worker thread (which does not run TypeScript). */
const MANIFEST_JS = fileURLToPath(new URL('../../../dist/verify/manifest.js', import.meta.url));

const H64 = 'ab'.repeat(32);

describe('parseChecksumLine', () => {
  it('reads GNU coreutils lines, text and binary mode, algorithm from the digest length', () => {
    expect(parseChecksumLine(`${H64}  dir/a file.bin`, 1)).toEqual({
      name: 'dir/a file.bin',
      line: 1,
      algorithm: 'sha256',
      hex: H64,
    });
    expect(parseChecksumLine(`${'CD'.repeat(20)} *b.iso`, 2)).toMatchObject({
      name: 'b.iso',
      algorithm: 'sha1',
      hex: 'cd'.repeat(20),
    });
    expect(parseChecksumLine(`${'0'.repeat(32)}  m`, 3)).toMatchObject({ algorithm: 'md5' });
    expect(parseChecksumLine(`${'0'.repeat(128)}  s`, 4)).toMatchObject({ algorithm: 'sha512' });
  });

  it('reads BSD tag lines', () => {
    expect(parseChecksumLine(`SHA256 (x (1).bin) = ${H64}`, 1)).toEqual({
      name: 'x (1).bin',
      line: 1,
      algorithm: 'sha256',
      hex: H64,
    });
    expect(parseChecksumLine(`MD5 (m) = ${'1'.repeat(32)}`, 1)).toMatchObject({ algorithm: 'md5' });
    // Tags tell apart the algorithms an untagged line cannot: coreutils' cksum, then openssl dgst's form.
    expect(parseChecksumLine(`SHA3-256 (s) = ${H64}`, 1)).toMatchObject({ algorithm: 'sha3-256' });
    expect(parseChecksumLine(`SHA2-256(s)= ${H64}`, 1)).toMatchObject({ algorithm: 'sha256' });
    expect(parseChecksumLine(`BLAKE2b (b) = ${'2'.repeat(128)}`, 1)).toMatchObject({
      algorithm: 'blake2b512',
    });
  });

  it('refuses a tagged digest of the wrong length, at its line', () => {
    expect(parseChecksumLine(`SHA256 (s) = ${'a'.repeat(63)}`, 9)).toEqual({
      line: 9,
      message: 'SHA256 needs 64 hex digits, not 63',
    });
  });

  it('reads the escaped form coreutils writes for names with backslashes or newlines', () => {
    expect(parseChecksumLine(`\\${H64}  a\\\\b\\nc`, 1)).toMatchObject({ name: 'a\\b\nc' });
    expect(parseChecksumLine(`\\SHA256 (a\\nb) = ${H64}`, 1)).toMatchObject({ name: 'a\nb' });
  });

  it('accepts CRLF line ends and a BOM on the first line', () => {
    expect(parseChecksumLine(`\ufeff${H64}  a.bin\r`, 1)).toMatchObject({ name: 'a.bin', hex: H64 });
    expect(parseChecksumLine(`SHA256 (b) = ${H64}\r`, 2)).toMatchObject({ name: 'b', hex: H64 });
  });

  it('skips blanks and comments, reports bad lines', () => {
    expect(parseChecksumLine('', 1)).toBeUndefined();
    expect(parseChecksumLine('# comment', 1)).toBeUndefined();
    expect(parseChecksumLine('nonsense', 7)).toMatchObject({
      line: 7,
      message: expect.stringMatching(/not a checksum line/),
    });
    expect(parseChecksumLine(`${'a'.repeat(30)}  x`, 2)).toMatchObject({
      message: expect.stringMatching(/30 hex digits/),
    });
    expect(parseChecksumLine(`FOO (x) = ${H64}`, 3)).toMatchObject({
      message: expect.stringMatching(/unknown checksum tag/),
    });
    // Characters that only look like hex digits with a bit flipped are not digits.
    const fake = `${'\u0011'.repeat(32)}${'a'.repeat(32)}  x`;
    expect(parseChecksumLine(fake, 4)).toMatchObject({ message: expect.stringMatching(/not a checksum/) });
    expect(parseChecksumLine(`${'g'.repeat(64)}  x`, 5)).toMatchObject({ message: expect.any(String) });
    expect(parseChecksumLine(`${H64}  `, 6)).toMatchObject({ message: expect.any(String) });
    expect(parseChecksumLine(`${H64.toUpperCase()} *b.bin`, 7)).toMatchObject({ name: 'b.bin', hex: H64 });
  });
});

describe('ExpectedDigests (the --checksums lookup)', () => {
  it('gives back what was stored, for every algorithm, the last entry of a name winning', () => {
    const d = new ExpectedDigests();
    const usable = HASH_ALGORITHMS.filter((a) => isUsableHash(a.name)).map((a) => a.name);
    const all = usable.map((algorithm, i) => ({
      name: `f${i}`,
      algorithm,
      hex: crypto.createHash(algorithm).update(String(i)).digest('hex'),
    }));
    for (const e of all) d.set(e.name, e);
    d.set('other', { algorithm: 'not-in-the-table', hex: 'abcd' });
    d.set('f0', { algorithm: 'sha256', hex: H64 });
    expect(d.get('f0')).toEqual({ algorithm: 'sha256', hex: H64 });
    for (const e of all.slice(1)) expect(d.get(e.name)).toEqual({ algorithm: e.algorithm, hex: e.hex });
    expect(d.get('other')).toEqual({ algorithm: 'not-in-the-table', hex: 'abcd' });
    expect(d.get('missing')).toBeUndefined();
    expect(d.size).toBe(all.length + 1);
  });

  it('is read in place by another thread (shared memory, not a copy)', async () => {
    const d = new ExpectedDigests();
    for (let i = 0; i < 20_000; i++) d.set(`dir/é${i}.bin`, { algorithm: 'sha256', hex: H64 });
    const code = `
      const { workerData, parentPort } = require('node:worker_threads');
      const { ExpectedDigests } = await import(${JSON.stringify(MANIFEST_JS)});
      const d = ExpectedDigests.fromShared(workerData);
      parentPort.postMessage([d.size, d.get('dir/é19999.bin')?.hex, d.get('nope') ?? null]);
    `;
    const w = new Worker(`(async () => { ${code} })()`, { eval: true, workerData: d.map.shared() });
    const [reply] = (await once(w, 'message')) as [unknown];
    await w.terminate();
    expect(reply).toEqual([20_000, H64, null]);
  });
});

describe('manifest lines', () => {
  it('round-trip through the parser, escaped when needed', () => {
    for (const name of ['plain.bin', 'with space', 'back\\slash', 'new\nline']) {
      const line = manifestLine(H64, name).replace(/\n$/, '');
      expect(parseChecksumLine(line, 1)).toMatchObject({ name, hex: H64 });
    }
    expect(escapeName('a\\b')).toEqual({ escaped: true, name: 'a\\\\b' });
  });
});

describe('loadExpected (-c FILE)', () => {
  it('warns FILE:LINE about bad lines, and refuses a file with no checksum line at all (ERR_DL_INPUT)', async () => {
    const dir = await tmpDir();
    const file = path.join(dir, 'SUMS');
    const warnings: DownloadEvent[] = [];
    await fs.writeFile(file, `# made by hand\nnot a line\n${H64}  a.bin\n`);
    const digests = await loadExpected(file, (e) => warnings.push(e));
    expect(digests.get('a.bin')).toEqual({ algorithm: 'sha256', hex: H64 });
    expect(warnings).toEqual([expect.objectContaining({ type: 'warning', source: file, line: 2 })]);
    for (const text of ['not a line\nnor this\n', '', '# only a comment\n']) {
      await fs.writeFile(file, text);
      await expect(loadExpected(file, () => {})).rejects.toMatchObject({
        code: 'ERR_DL_INPUT',
        message: `checksum file '${file}': no properly formatted checksum lines found`,
      });
    }
  });
});
