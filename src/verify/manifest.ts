import fs from 'node:fs';
import path from 'node:path';
import { DlpoolError, errnoOf } from '../errors.js';
import { reasonOf } from '../errno-text.js';
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
  /** Lines not written yet: flushed with one synchronous write per 64 KiB, so memory stays flat however
   * fast results come (a write stream queued them without limit when the disk was slower than the run). */
  private pending: string[] = [];
  private pendingBytes = 0;
  private failure: unknown;

  private constructor(
    private readonly file: string,
    private readonly algorithm: string,
    private readonly fd: number,
  ) {}

  /** Opens (creating its folder) before any download starts, so a bad path fails the run up front. */
  static async open(file: string, algorithm: string): Promise<ManifestWriter> {
    try {
      await fs.promises.mkdir(path.dirname(path.resolve(file)), { recursive: true });
      const fd = fs.openSync(file, 'w');
      return new ManifestWriter(file, algorithm, fd);
    } catch (err) {
      throw new DlpoolError('ERR_DL_INPUT', `cannot write manifest '${file}': ${reasonOf(err)}`, {
        cause: err,
      });
    }
  }

  add(rel: string, digest: Digest): void {
    // `sha256sum -c` reads a file named `-` as standard input: `./-` names the file (dlpool verify drops `./`).
    const name = rel === '-' ? './-' : rel;
    const line =
      digest.algorithm === this.algorithm
        ? manifestLine(digest.hex, name)
        : `${digest.algorithm.toUpperCase()} (${name}) = ${digest.hex}\n`;
    this.pending.push(line);
    this.pendingBytes += line.length;
    if (this.pendingBytes >= 64 * 1024) this.flush();
  }

  private flush(): void {
    const text = this.pending.join('');
    this.pending = [];
    this.pendingBytes = 0;
    if (this.failure !== undefined || text === '') return;
    try {
      const buf = Buffer.from(text);
      let off = 0;
      while (off < buf.length) off += fs.writeSync(this.fd, buf, off);
    } catch (err) {
      // A full disk (or /dev/full): said at close(), and nothing more is written.
      this.failure = err;
    }
  }

  /** Flushes and closes; a write that failed at any point (a full disk, /dev/full) throws ERR_DL_FILE. */
  async close(): Promise<void> {
    this.flush();
    try {
      fs.closeSync(this.fd);
    } catch (err) {
      this.failure ??= err;
    }
    const failure = this.failure;
    if (failure) {
      throw new DlpoolError('ERR_DL_FILE', `cannot write manifest '${this.file}': ${reasonOf(failure)}`, {
        cause: failure,
        errno: errnoOf(failure),
      });
    }
  }
}
