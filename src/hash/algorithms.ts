import crypto from 'node:crypto';
import { closest } from '../common/closest.js';

/** What `hashFiles` (`dlpool hash`) digests with unless told another algorithm. */
export const DEFAULT_HASH = 'sha256';

/**
 * Every hash algorithm dlpool knows by more than its node:crypto name: the checksum-file parser (BSD tags and
 * untagged lines), the list parser (aria2's `checksum=TYPE=HEX`), `--hash` and every hashing site read it here.
 */
export interface HashAlgorithm {
  /** node:crypto's name: what dlpool hashes with, prints and takes in `--hash`. */
  name: string;
  /** Digest length in hex digits. */
  hexLength: number;
  /** BSD tags naming it (`SHA256 (NAME) = HEX`), upper case: coreutils' and shasum's `--tag`, then openssl's. */
  tags: readonly string[];
  /** aria2's `checksum=` type, where aria2 has one. */
  aria2?: string;
  /**
   * What an untagged line of this length is unless `--hash` names another algorithm of the same length: the
   * coreutils tool named for it reads it so (`sha256sum -c`), and those files are nearly all untagged.
   */
  untagged?: true;
}

/** In a fixed order: ExpectedDigests stores an algorithm as its index here. */
export const HASH_ALGORITHMS: readonly HashAlgorithm[] = [
  { name: 'md5', hexLength: 32, tags: ['MD5'], aria2: 'md5', untagged: true },
  { name: 'sha1', hexLength: 40, tags: ['SHA1'], aria2: 'sha-1', untagged: true },
  { name: 'sha224', hexLength: 56, tags: ['SHA224', 'SHA2-224'], aria2: 'sha-224', untagged: true },
  { name: 'sha256', hexLength: 64, tags: ['SHA256', 'SHA2-256'], aria2: 'sha-256', untagged: true },
  { name: 'sha384', hexLength: 96, tags: ['SHA384', 'SHA2-384'], aria2: 'sha-384', untagged: true },
  { name: 'sha512', hexLength: 128, tags: ['SHA512', 'SHA2-512'], aria2: 'sha-512', untagged: true },
  { name: 'sha512-224', hexLength: 56, tags: ['SHA512/224', 'SHA2-512/224', 'SHA512-224'] },
  { name: 'sha512-256', hexLength: 64, tags: ['SHA512/256', 'SHA2-512/256', 'SHA512-256'] },
  { name: 'sha3-224', hexLength: 56, tags: ['SHA3-224'] },
  { name: 'sha3-256', hexLength: 64, tags: ['SHA3-256'] },
  { name: 'sha3-384', hexLength: 96, tags: ['SHA3-384'] },
  { name: 'sha3-512', hexLength: 128, tags: ['SHA3-512'] },
  { name: 'blake2b512', hexLength: 128, tags: ['BLAKE2B', 'BLAKE2B-512'] },
  { name: 'blake2s256', hexLength: 64, tags: ['BLAKE2S-256'] },
  { name: 'sm3', hexLength: 64, tags: ['SM3'] },
  { name: 'ripemd160', hexLength: 40, tags: ['RMD160', 'RIPEMD160'] },
  // aria2 has it; node:crypto does not: known, so that a list naming it is told why it cannot be checked.
  { name: 'adler32', hexLength: 8, tags: [], aria2: 'adler32' },
];

const BY_NAME = new Map(HASH_ALGORITHMS.map((a) => [a.name, a]));
const BY_TAG = new Map(HASH_ALGORITHMS.flatMap((a) => a.tags.map((t) => [t, a] as const)));
const BY_ARIA2 = new Map(HASH_ALGORITHMS.flatMap((a) => (a.aria2 ? [[a.aria2, a] as const] : [])));
const UNTAGGED = new Map(HASH_ALGORITHMS.flatMap((a) => (a.untagged ? [[a.hexLength, a] as const] : [])));

const usable = new Map<string, boolean>();

/**
 * True when node:crypto can really hash with `name`. getHashes() also lists algorithms that OpenSSL 3 keeps
 * in its legacy provider (whirlpool, md4, ...), which fail only when first used.
 */
export function isUsableHash(name: string): boolean {
  let ok = usable.get(name);
  if (ok === undefined) {
    try {
      ok = crypto.getHashes().includes(name) && crypto.createHash(name).digest() !== undefined;
    } catch {
      ok = false;
    }
    usable.set(name, ok);
  }
  return ok;
}

/** The registry's algorithms this Node can hash with, by node:crypto name: what an error suggests. */
function usableNames(): string[] {
  return HASH_ALGORITHMS.flatMap((a) => (isUsableHash(a.name) ? [a.name] : []));
}

/**
 * Why `name` is no algorithm to hash with here, for an error that starts with the option's name: a guess
 * when one name is close, and the registry's usable names (each of which `hashAlgorithm` takes).
 */
export function unknownHashText(name: unknown): string {
  const names = usableNames();
  const guess = typeof name === 'string' ? closest(name.toLowerCase(), names) : undefined;
  const mean = guess === undefined ? '' : `did you mean ${guess}? `;
  return `unknown or unavailable algorithm '${String(name)}' (${mean}try ${names.join(', ')})`;
}

/** node:crypto's own spelling of `name` in any case (`md5WithRSAEncryption`), or undefined. */
let spellings: Map<string, string> | undefined;
function cryptoSpelling(name: string): string | undefined {
  spellings ??= new Map(crypto.getHashes().map((h) => [h.toLowerCase(), h]));
  return spellings.get(name.toLowerCase());
}

/** The algorithm a BSD tag names (any case), usable here or not. */
export function algorithmByTag(tag: string): HashAlgorithm | undefined {
  return BY_TAG.get(tag.toUpperCase());
}

/** The algorithm an aria2 `checksum=` type names (any case; its node:crypto name too), usable here or not. */
export function algorithmByAria2(type: string): HashAlgorithm | undefined {
  const t = type.toLowerCase();
  return BY_ARIA2.get(t) ?? (BY_NAME.get(t)?.aria2 ? BY_NAME.get(t) : undefined);
}

/** The BSD tag dlpool writes for `name` (coreutils' where it has one), which the checksum-file parser reads back. */
export function bsdTag(name: string): string {
  return BY_NAME.get(name)?.tags[0] ?? name.toUpperCase();
}

/** aria2's `checksum=` types this Node can check, for error messages. */
export function usableAria2Types(): string[] {
  return [...BY_ARIA2].flatMap(([type, a]) => (isUsableHash(a.name) ? [type] : []));
}

/**
 * A usable algorithm by any name a user may give `--hash` or `--algo`: node:crypto's (`sha256`, `sha3-512`,
 * any getHashes() lists, in any case), a BSD tag (`SHA256`) or aria2's (`sha-256`); undefined when this Node cannot hash with it.
 */
export function hashAlgorithm(name: string): HashAlgorithm | undefined {
  const n = name.toLowerCase();
  const known = BY_NAME.get(n) ?? algorithmByTag(n) ?? BY_ARIA2.get(n);
  if (known) return isUsableHash(known.name) ? known : undefined;
  // getHashes() names are matched in any case and kept as it spells them, which isUsableHash looks up.
  const spelled = cryptoSpelling(name);
  if (spelled === undefined || !isUsableHash(spelled)) return undefined;
  return { name: spelled, hexLength: createDigest(spelled).digest().length * 2, tags: [] };
}

/**
 * The algorithm of an untagged checksum line (`HEX  NAME`, which says nothing but the digest's length):
 * `preferred` (the `--hash` given) when its digests are that long, else the coreutils default for the length.
 * sha256, sha3-256, sha512-256, blake2s256 and sm3 are all 64 digits: only a tag or `preferred` tells them apart.
 */
export function untaggedAlgorithm(hexLength: number, preferred?: HashAlgorithm): HashAlgorithm | undefined {
  if (preferred?.hexLength === hexLength) return preferred;
  return UNTAGGED.get(hexLength);
}

/**
 * Why an expected digest given as `{ algorithm, hex }` (a library entry's checksum) cannot be checked, or
 * undefined: it is compared as lower-case hex, with node:crypto's name for the algorithm.
 */
export function expectedDigestProblem(algorithm: string, hex: string): string | undefined {
  const a = typeof algorithm === 'string' ? hashAlgorithm(algorithm) : undefined;
  if (!a || a.name !== algorithm) {
    return `'${String(algorithm)}' is not a node:crypto algorithm this Node can hash with (try ${usableNames().join(', ')})`;
  }
  if (typeof hex !== 'string' || hex.length !== a.hexLength || !/^[0-9a-f]*$/.test(hex)) {
    return `${a.name} needs ${a.hexLength} lower-case hex digits`;
  }
  return undefined;
}

/** A new digest of `name` (a node:crypto name): the one way dlpool starts hashing. */
export function createDigest(name: string): crypto.Hash {
  return crypto.createHash(name);
}

/** The index of `name` in the registry's fixed order, or -1: a one-byte code for stored digests. */
export function algorithmIndex(name: string): number {
  const a = BY_NAME.get(name);
  return a ? HASH_ALGORITHMS.indexOf(a) : -1;
}

/** The node:crypto name at `index` of the registry's fixed order. */
export function algorithmAt(index: number): string | undefined {
  return HASH_ALGORITHMS[index]?.name;
}
