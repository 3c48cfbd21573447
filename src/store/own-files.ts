import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { DlpoolError, errnoOf } from '../errors.js';
import { openRegular, openRegularSync, READ_OWN } from '../file/regular-open.js';
import { shownPath } from '../common/shown-path.js';

/**
 * dlpool's own files (shard markers, results and sums, the outputs of `merge`) are opened as downloads are:
 * never through a symbolic link, never anything but a regular file (a FIFO would block the open, /dev/zero
 * never ends), and read within a size bound. Anyone who can write into the output directory can plant things
 * there; these files are then refused with a line that says what is in the way, not followed or waited on.
 */

/** What is at `p`, said when it cannot be used as one of dlpool's files. */
function refusal(p: string, err: unknown): string {
  try {
    const st = fs.lstatSync(p);
    if (st.isSymbolicLink()) return 'is a symbolic link';
    if (st.isFIFO()) return 'is a FIFO, not a regular file';
    if (st.isDirectory()) return 'is a directory, not a regular file';
    if (!st.isFile()) return 'is not a regular file (a socket or device)';
  } catch {}
  return `cannot be read: ${errnoOf(err) ?? (err instanceof Error ? err.message : String(err))}`;
}

/** An error about dlpool's file `p`: ERR_DL_INPUT (exit 2), one line, the path as the user knows it. */
export function ownFileError(p: string, problem: string, cause?: unknown): DlpoolError {
  return new DlpoolError('ERR_DL_INPUT', `'${shownPath(p)}' ${problem}`, { cause });
}

/** A small file of dlpool's whole, or undefined when there is none; anything over `maxBytes` is refused. */
export function readOwnSmallSync(p: string, maxBytes: number): string | undefined {
  let fd: number;
  try {
    fd = openRegularSync(p, READ_OWN, 'read');
  } catch (err) {
    if ((err as { errno?: string }).errno === 'ENOENT') return undefined;
    throw ownFileError(p, refusal(p, err), err);
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size > maxBytes) throw ownFileError(p, `is larger than ${maxBytes} bytes (${size})`);
    // One byte more than allowed tells a file that grew after the fstat.
    const buf = Buffer.alloc(maxBytes + 1);
    let n = 0;
    for (let got = -1; got !== 0 && n < buf.length; n += got)
      got = fs.readSync(fd, buf, n, buf.length - n, n);
    if (n > maxBytes) throw ownFileError(p, `is larger than ${maxBytes} bytes`);
    return buf.toString('utf8', 0, n);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The lines of one of dlpool's files (without their `\n`; a last line without one counts), read as a stream:
 * nothing but the current line is held, a line over `maxLineBytes` is refused, and so is a line past
 * `maxLines`. `each` gets the line and its 1-based number.
 */
export async function eachOwnLine(
  p: string,
  limits: { maxLineBytes: number; maxLines: number },
  each: (line: string, n: number) => void,
): Promise<void> {
  let fh: fs.promises.FileHandle;
  try {
    ({ fh } = await openRegular(p, READ_OWN));
  } catch (err) {
    throw ownFileError(p, refusal(p, err), err);
  }
  try {
    const chunk = Buffer.allocUnsafe(64 * 1024);
    let held: Buffer[] = [];
    let heldBytes = 0;
    let n = 0;
    const line = (tail: Buffer) => {
      if (heldBytes + tail.length > limits.maxLineBytes)
        throw ownFileError(p, `line ${n + 1} is longer than ${limits.maxLineBytes} bytes`);
      if (++n > limits.maxLines) throw ownFileError(p, `has more than ${limits.maxLines} lines`);
      const text = (held.length === 0 ? tail : Buffer.concat([...held, tail])).toString('utf8');
      held = [];
      heldBytes = 0;
      each(text, n);
    };
    for (;;) {
      let got: number;
      try {
        ({ bytesRead: got } = await fh.read(chunk, 0, chunk.length, null));
      } catch (err) {
        throw ownFileError(p, refusal(p, err), err);
      }
      if (got === 0) break;
      let from = 0;
      for (let nl = chunk.indexOf(10, from); nl >= 0 && nl < got; nl = chunk.indexOf(10, from)) {
        line(chunk.subarray(from, nl));
        from = nl + 1;
      }
      if (from < got) {
        heldBytes += got - from;
        if (heldBytes > limits.maxLineBytes)
          throw ownFileError(p, `line ${n + 1} is longer than ${limits.maxLineBytes} bytes`);
        held.push(Buffer.from(chunk.subarray(from, got)));
      }
    }
    if (heldBytes > 0) line(Buffer.alloc(0));
  } finally {
    await fh.close().catch(() => {});
  }
}

/**
 * A file of dlpool's written whole under a temporary name of its own, then renamed over `p`: `p` is complete
 * or as it was. The temporary is a new name (random, created with O_EXCL, which never follows a link nor opens
 * what is there), so nothing planted beside `p` is written through or truncated, a hard link included; the
 * rename replaces `p` itself (a link at `p` is replaced, not followed).
 */
export class OwnFileWriter {
  readonly #temp: string;
  #fd: number | undefined;

  private constructor(
    readonly path: string,
    temp: string,
    fd: number,
  ) {
    this.#temp = temp;
    this.#fd = fd;
  }

  static create(p: string): OwnFileWriter {
    const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
    const temp = `${p}.${randomBytes(6).toString('hex')}.part`;
    try {
      return new OwnFileWriter(p, temp, fs.openSync(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o666));
    } catch (err) {
      throw writeError(p, err);
    }
  }

  write(text: string): void {
    const buf = Buffer.from(text);
    try {
      for (let off = 0; off < buf.length;) off += fs.writeSync(this.#fd!, buf, off);
    } catch (err) {
      this.discard();
      throw writeError(this.path, err);
    }
  }

  /** Closes and renames the temporary to the final name. */
  commit(): void {
    try {
      fs.closeSync(this.#fd!);
      this.#fd = undefined;
      fs.renameSync(this.#temp, this.path);
    } catch (err) {
      this.discard();
      throw writeError(this.path, err);
    }
  }

  /** Removes the temporary (a failed run leaves neither it nor a partial file). */
  discard(): void {
    try {
      if (this.#fd !== undefined) fs.closeSync(this.#fd);
    } catch {}
    this.#fd = undefined;
    fs.rmSync(this.#temp, { force: true });
  }
}

function writeError(p: string, err: unknown): DlpoolError {
  const reason = errnoOf(err) ?? (err instanceof Error ? err.message : String(err));
  return new DlpoolError('ERR_DL_FILE', `cannot write '${shownPath(p)}': ${reason}`, { cause: err });
}

/** `text` as the whole content of `p` (see OwnFileWriter). */
export function replaceOwnFileSync(p: string, text: string): void {
  const w = OwnFileWriter.create(p);
  w.write(text);
  w.commit();
}
