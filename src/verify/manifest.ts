import fs from 'node:fs';
import path from 'node:path';
import { DlpoolError, errnoOf } from '../errors.js';
import { reasonOf } from '../errno-text.js';
import type { Digest, EventListener } from '../events.js';
import { makeFolders } from '../common/make-folders.js';
import { OrderedLines, TemporaryFileError } from './ordered-lines.js';
import { CompactStringMap, type SharedCompactMap } from '../common/string-set.js';
import { algorithmAt, algorithmIndex, bsdTag, hashAlgorithm } from '../hash/algorithms.js';
import {
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
 * (its index in HASH_ALGORITHMS; 255 = its name follows, ended by a 0 byte) and the digest's bytes.
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
    const known = algorithmIndex(e.algorithm);
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
    if (v[0] !== 255) return { algorithm: algorithmAt(v[0]!)!, hex: v.toString('hex', 1) };
    const zero = v.indexOf(0, 1);
    return { algorithm: v.toString('latin1', 1, zero), hex: v.toString('hex', zero + 1) };
  }
}

/** Bad lines of a -c file warned about one by one; the rest are counted in one more warning. */
const MAX_BAD_LINE_WARNINGS = 10;

/**
 * --checksums FILE -> expected digest by path relative to --dir; the first bad lines are warned about with
 * FILE:LINE (a file that is no checksum file at all, a binary, must not print a line per line of it).
 * A file without a single checksum line is ERR_DL_INPUT (as `sha256sum -c` exits 1 on one): downloading
 * everything unverified is not what a user who gave one asked for. Untagged lines as long as `untagged`'s
 * digests (the `--hash` given, a name normalizeOptions accepted) are that algorithm, others the coreutils
 * default for their length.
 */
export async function loadExpected(
  file: string,
  emit: EventListener,
  untagged?: string,
): Promise<ExpectedDigests> {
  const preferred = untagged === undefined ? undefined : hashAlgorithm(untagged);
  const digests = new ExpectedDigests();
  let lines = 0;
  let bad = 0;
  await checksumLines(
    await openChecksumFile(file),
    (e) => {
      if ('name' in e) {
        lines++;
        digests.set(normalizeSumsName(e.name), e);
      } else if (++bad <= MAX_BAD_LINE_WARNINGS) {
        emit({ type: 'warning', source: file, line: e.line, message: e.message });
      }
    },
    preferred,
  );
  if (bad > MAX_BAD_LINE_WARNINGS) {
    const more = bad - MAX_BAD_LINE_WARNINGS;
    emit({ type: 'warning', source: file, message: `${more} more lines that are not checksum lines` });
  }
  if (lines === 0) {
    throw new DlpoolError(
      'ERR_DL_INPUT',
      `checksum file '${file}': no properly formatted checksum lines found`,
    );
  }
  return digests;
}

/**
 * --manifest FILE: one coreutils line per downloaded file, in list order (as `merge` writes, so two runs of one
 * list give the same file), written as results arrive when they come in order (see OrderedLines for a slow
 * entry), so `sha256sum -c FILE` (run in --dir) passes. A file digested with another algorithm (a per-URL
 * `checksum=sha-1=...`) gets a BSD tag line instead, which coreutils reports as improperly formatted but
 * `dlpool verify` reads.
 */
export class ManifestWriter {
  /** Lines not written yet: flushed with one synchronous write per 64 KiB, so memory stays flat however
   * fast results come (a write stream queued them without limit when the disk was slower than the run). */
  private pending: string[] = [];
  private pendingBytes = 0;
  private failure: unknown;
  private readonly order: OrderedLines;

  private constructor(
    private readonly file: string,
    private readonly algorithm: string,
    private readonly fd: number,
    window: number | undefined,
  ) {
    this.order = new OrderedLines((line) => this.queue(line), 1, window);
  }

  /**
   * Opens (creating its folder) before any download starts, so a bad path fails the run up front.
   * `window`: lines held out of order before they go to a temporary file (OrderedLines).
   */
  static async open(file: string, algorithm: string, window?: number): Promise<ManifestWriter> {
    try {
      makeFolders(path.dirname(path.resolve(file)));
    } catch (err) {
      throw new DlpoolError('ERR_DL_INPUT', (err as Error).message, { cause: err });
    }
    try {
      return new ManifestWriter(file, algorithm, openForWriting(file), window);
    } catch (err) {
      const reason = errnoOf(err) === 'ENXIO' ? `${reasonOf(err)} (a FIFO nobody reads)` : reasonOf(err);
      throw new DlpoolError('ERR_DL_INPUT', `cannot write manifest '${file}': ${reason}`, { cause: err });
    }
  }

  /**
   * The result of entry `id` (numbered from 1 in list order; every entry's result is given, those without a
   * file or digest too, so the ones after it need not wait).
   */
  add(id: number, rel: string | undefined, digest: Digest | undefined): void {
    if (this.failure !== undefined) return;
    if (rel === undefined || digest === undefined) {
      this.order.add(id, undefined);
      return;
    }
    // `sha256sum -c` reads a file named `-` as standard input: `./-` names the file (dlpool verify drops `./`).
    const name = rel === '-' ? './-' : rel;
    const line =
      digest.algorithm === this.algorithm
        ? manifestLine(digest.hex, name)
        : `${bsdTag(digest.algorithm)} (${name}) = ${digest.hex}\n`;
    try {
      this.order.add(id, line);
    } catch (err) {
      this.failure ??= err;
    }
  }

  private queue(line: string): void {
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
    try {
      if (this.failure === undefined) this.order.end();
    } catch (err) {
      this.failure ??= err;
    } finally {
      this.order.close();
    }
    this.flush();
    try {
      fs.closeSync(this.fd);
    } catch (err) {
      this.failure ??= err;
    }
    const failure = this.failure;
    if (failure) {
      const spill = failure instanceof TemporaryFileError;
      const reason = spill ? failure.message : reasonOf(failure);
      throw new DlpoolError('ERR_DL_FILE', `cannot write manifest '${this.file}': ${reason}`, {
        cause: failure,
        errno: spill ? failure.errno : errnoOf(failure),
      });
    }
  }
}

/**
 * The manifest opened for writing, emptied. A plain open of a FIFO that nobody reads waits for ever, deaf to
 * signals (the event loop waits with it): it is opened without blocking first, which fails (ENXIO) when nobody
 * reads. A FIFO or socket with a reader (`--manifest >(cmd)`) is then opened again to block as usual; a file or
 * device keeps the descriptor (O_NONBLOCK changes nothing for them).
 */
function openForWriting(file: string): number {
  const { O_WRONLY, O_CREAT, O_NONBLOCK } = fs.constants;
  const fd = fs.openSync(file, O_WRONLY | O_CREAT | O_NONBLOCK, 0o666);
  let st: fs.Stats;
  try {
    st = fs.fstatSync(fd);
    if (st.isFile()) fs.ftruncateSync(fd, 0);
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
  if (st.isFile() || st.isCharacterDevice() || st.isBlockDevice()) return fd;
  // Opened again while this end is still open: closing it first would end the reader's input (EOF), and a
  // reader that then exits would leave the second open waiting for ever.
  try {
    return fs.openSync(file, 'w');
  } finally {
    fs.closeSync(fd);
  }
}
