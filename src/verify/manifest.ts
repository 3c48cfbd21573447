import fs from 'node:fs';
import path from 'node:path';
import { DlpoolError, errnoOf } from '../errors.js';
import type { Digest, EventListener } from '../events.js';
import { CompactStringMap, type SharedCompactMap } from '../jobs/string-set.js';
import {
  CHECKSUM_ALGORITHMS,
  checksumLines,
  type Expected,
  manifestLine,
  normalizeSumsName,
  openChecksumFile,
} from './checksums.js';

/** Expected digests by path relative to --dir (what a download is checked against). */
export interface ExpectedLookup {
  get(name: string): Expected | undefined;
}

/**
 * The digests of a checksum file, off the JS heap (CompactStringMap: a million lines in ~85 MB instead of
 * ~400 MB as a Map), shareable with worker threads without a copy. Each value is one byte for the algorithm
 * (its index in CHECKSUM_ALGORITHMS; 255 = its name follows, ended by a 0 byte) and the digest's bytes.
 */
export class ExpectedDigests implements ExpectedLookup {
  constructor(readonly map: CompactStringMap = new CompactStringMap()) {}

  static fromShared(shared: SharedCompactMap): ExpectedDigests {
    return new ExpectedDigests(CompactStringMap.fromShared(shared));
  }

  get size(): number {
    return this.map.size;
  }

  /** The value being stored, built in one reused buffer. */
  #scratch = Buffer.allocUnsafe(256);

  set(name: string, e: Expected): void {
    const b = this.#scratch;
    const known = CHECKSUM_ALGORITHMS.indexOf(e.algorithm);
    let n = 1;
    b[0] = known < 0 ? 255 : known;
    if (known < 0) {
      n += b.write(e.algorithm, 1, 'latin1');
      b[n++] = 0;
    }
    n += b.write(e.hex, n, 'hex');
    this.map.set(name, b.subarray(0, n));
  }

  get(name: string): Expected | undefined {
    const v = this.map.get(name);
    if (!v) return undefined;
    if (v[0] !== 255) return { algorithm: CHECKSUM_ALGORITHMS[v[0]!]!, hex: v.toString('hex', 1) };
    const zero = v.indexOf(0, 1);
    return { algorithm: v.toString('latin1', 1, zero), hex: v.toString('hex', zero + 1) };
  }
}

/** --checksums FILE -> expected digest by path relative to --dir; bad lines are warned about with FILE:LINE. */
export async function loadExpected(file: string, emit: EventListener): Promise<ExpectedDigests> {
  const digests = new ExpectedDigests();
  await checksumLines(await openChecksumFile(file), (e) => {
    if ('name' in e) digests.set(normalizeSumsName(e.name), e);
    else emit({ type: 'warning', source: file, line: e.line, message: e.message });
  });
  return digests;
}

/**
 * --manifest FILE: one coreutils line per downloaded file, written as results arrive, so `sha256sum -c FILE`
 * (run in --dir) passes. A file digested with another algorithm (a per-URL `checksum=sha-1=...`) gets a BSD
 * tag line instead, which coreutils reports as improperly formatted but `dlpool verify` reads.
 */
export class ManifestWriter {
  private readonly out: fs.WriteStream;
  private failure: unknown;

  private constructor(
    private readonly file: string,
    private readonly algorithm: string,
    out: fs.WriteStream,
  ) {
    this.out = out;
    this.out.on('error', (err) => {
      this.failure = err;
    });
  }

  /** Opens (creating its folder) before any download starts, so a bad path fails the run up front. */
  static async open(file: string, algorithm: string): Promise<ManifestWriter> {
    try {
      await fs.promises.mkdir(path.dirname(path.resolve(file)), { recursive: true });
      const out = fs.createWriteStream(file, { flags: 'w' });
      await new Promise<void>((resolve, reject) => {
        out.once('open', () => resolve());
        out.once('error', reject);
      });
      return new ManifestWriter(file, algorithm, out);
    } catch (err) {
      const reason = errnoOf(err) ?? String(err);
      throw new DlpoolError('ERR_DL_INPUT', `cannot write manifest '${file}': ${reason}`, { cause: err });
    }
  }

  add(rel: string, digest: Digest): void {
    // `sha256sum -c` reads a file named `-` as standard input: `./-` names the file (dlpool verify drops `./`).
    const name = rel === '-' ? './-' : rel;
    if (digest.algorithm === this.algorithm) this.out.write(manifestLine(digest.hex, name));
    else this.out.write(`${digest.algorithm.toUpperCase()} (${name}) = ${digest.hex}\n`);
  }

  /** Flushes and closes; a write that failed at any point (a full disk, /dev/full) throws ERR_DL_FILE. */
  async close(): Promise<void> {
    // The error reaches end()'s callback before the 'error' event: take it from either.
    const ended = await new Promise<Error | null | undefined>((resolve) => this.out.end(resolve));
    const failure = this.failure ?? ended;
    if (failure) {
      const reason = errnoOf(failure) ?? String(failure);
      throw new DlpoolError('ERR_DL_FILE', `cannot write manifest '${this.file}': ${reason}`, {
        cause: failure,
        errno: errnoOf(failure),
      });
    }
  }
}
