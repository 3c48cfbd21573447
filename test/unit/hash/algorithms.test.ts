import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  algorithmAt,
  algorithmByAria2,
  algorithmByTag,
  algorithmIndex,
  bsdTag,
  createDigest,
  HASH_ALGORITHMS,
  hashAlgorithm,
  isUsableHash,
  unknownHashText,
  untaggedAlgorithm,
} from '../../../src/hash/algorithms.js';
import fs from 'node:fs';
import { parseChecksumLine } from '../../../src/verify/checksums.js';

const usable = HASH_ALGORITHMS.filter((a) => isUsableHash(a.name));

describe('the hash-algorithm registry', () => {
  it("gives each usable algorithm's digest length as node:crypto computes it", () => {
    expect(usable.map((a) => a.name)).toEqual(expect.arrayContaining(['md5', 'sha256', 'sha3-256']));
    for (const a of usable) {
      expect([a.name, createDigest(a.name).update('x').digest('hex').length]).toEqual([a.name, a.hexLength]);
    }
  });

  it('names every algorithm once, every tag and aria2 type once, and one untagged default per length', () => {
    const names = HASH_ALGORITHMS.map((a) => a.name);
    const tags = HASH_ALGORITHMS.flatMap((a) => a.tags);
    const aria2 = HASH_ALGORITHMS.flatMap((a) => (a.aria2 ? [a.aria2] : []));
    const lengths = HASH_ALGORITHMS.filter((a) => a.untagged).map((a) => a.hexLength);
    for (const list of [names, tags, aria2, lengths.map(String)])
      expect(new Set(list).size).toBe(list.length);
    expect(HASH_ALGORITHMS.length).toBeLessThan(255);
    for (const [i, name] of names.entries()) {
      expect(algorithmIndex(name)).toBe(i);
      expect(algorithmAt(i)).toBe(name);
    }
    expect(algorithmIndex('shake256')).toBe(-1);
  });

  it('reads a BSD tag back for every usable algorithm, the tag dlpool writes included', () => {
    for (const a of usable) {
      const hex = crypto.createHash(a.name).update('x').digest('hex');
      for (const tag of [...a.tags, bsdTag(a.name)]) {
        expect(parseChecksumLine(`${tag} (f) = ${hex}`, 1)).toEqual({
          name: 'f',
          line: 1,
          algorithm: a.name,
          hex,
        });
      }
    }
    expect(algorithmByTag('sha3-512')?.name).toBe('sha3-512');
    expect(bsdTag('blake2b512')).toBe('BLAKE2B');
  });

  it('takes node:crypto names, BSD tags and aria2 types for --hash, any case, and refuses what cannot hash', () => {
    expect(hashAlgorithm('SHA256')?.name).toBe('sha256');
    expect(hashAlgorithm('sha-256')?.name).toBe('sha256');
    expect(hashAlgorithm('SHA3-512')).toMatchObject({ name: 'sha3-512', hexLength: 128 });
    expect(hashAlgorithm('blake2b')?.name).toBe('blake2b512');
    // A node:crypto name outside the table: its length measured.
    expect(hashAlgorithm('shake256')).toEqual({ name: 'shake256', hexLength: 64, tags: [] });
    expect(hashAlgorithm('adler32')).toBeUndefined();
    expect(hashAlgorithm('nope')).toBeUndefined();
  });

  it("maps aria2's checksum types (and the node names of those) only", () => {
    expect(algorithmByAria2('SHA-512')?.name).toBe('sha512');
    expect(algorithmByAria2('sha1')?.name).toBe('sha1');
    expect(algorithmByAria2('adler32')).toMatchObject({ name: 'adler32', hexLength: 8 });
    expect(algorithmByAria2('sha3-256')).toBeUndefined();
  });

  it('reads an untagged digest by its length, or as the preferred algorithm when that is as long', () => {
    const sha3 = hashAlgorithm('sha3-256');
    expect(untaggedAlgorithm(64)?.name).toBe('sha256');
    expect(untaggedAlgorithm(128)?.name).toBe('sha512');
    expect(untaggedAlgorithm(64, sha3)?.name).toBe('sha3-256');
    expect(untaggedAlgorithm(128, sha3)?.name).toBe('sha512');
    expect(untaggedAlgorithm(30, sha3)).toBeUndefined();
  });

  it('suggests only names it then takes, with "did you mean"; node:crypto names in any case, as getHashes() spells them', () => {
    const text = unknownHashText('sha265');
    expect(text).toMatch(
      /^unknown or unavailable algorithm 'sha265' \(did you mean sha256\? try md5, sha1, /,
    );
    const suggested = /try (.*)\)$/.exec(text)![1]!.split(', ');
    expect(suggested).toEqual(expect.arrayContaining(['sha256', 'sha3-256', 'blake2b512']));
    for (const name of suggested) expect(hashAlgorithm(name)?.name, name).toBe(name);
    // Every name node:crypto lists and can hash with is taken, in any case, under the name it lists.
    for (const name of crypto.getHashes().filter(isUsableHash)) {
      expect(hashAlgorithm(name.toUpperCase()), name).toBeDefined();
    }
    expect(hashAlgorithm('MD5WITHRSAENCRYPTION')?.name).toBe('md5WithRSAEncryption');
    expect(unknownHashText('nope')).toMatch(/^unknown or unavailable algorithm 'nope' \(try md5, /);
  });

  it('is the one place a digest of a chosen algorithm is made (createDigest): no other createHash of a variable', () => {
    const src = new URL('../../../src/', import.meta.url);
    const files = fs.readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    const direct = files.filter(
      (f) =>
        f !== 'hash/algorithms.ts' &&
        /createHash\((?!'sha256'\))/.test(fs.readFileSync(new URL(f, src), 'utf8')),
    );
    expect(direct).toEqual([]);
  });
});
