import fs from 'node:fs';
import path from 'node:path';
import { DlpoolError, errnoOf } from '../errors.js';
import type { Digest, EventListener } from '../events.js';
import { type Expected, manifestLine, normalizeSumsName, readChecksumFile } from './checksums.js';

/** --checksums FILE -> expected digest by path relative to --dir; bad lines are warned about with FILE:LINE. */
export async function loadExpected(file: string, emit: EventListener): Promise<Map<string, Expected>> {
  const { entries, problems } = await readChecksumFile(file);
  for (const p of problems) emit({ type: 'warning', source: file, line: p.line, message: p.message });
  const map = new Map<string, Expected>();
  for (const e of entries) map.set(normalizeSumsName(e.name), { algorithm: e.algorithm, hex: e.hex });
  return map;
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
