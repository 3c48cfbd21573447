import fs from 'node:fs';
import { createDigest } from './algorithms.js';

/**
 * Bytes per read, into one reused buffer. What pays is the reuse (a fresh buffer per chunk costs page faults
 * and GC); the size does not much: on 8 x 64 MiB, 128 KiB to 4 MiB hashed at the same speed, 64 KiB ~10 % slower.
 */
export const READ_BYTES = 256 * 1024;

/** Opened without blocking (a FIFO would wait for a writer forever) and refused unless a regular file. */
const OPEN_FLAGS = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK;

/** A directory is EISDIR (as sha256sum says), anything else not a regular file EINVAL. */
function notRegular(path: string, st: fs.Stats): NodeJS.ErrnoException {
  if (st.isDirectory()) return Object.assign(new Error(`${path}: is a directory`), { code: 'EISDIR', path });
  return Object.assign(new Error(`${path}: not a regular file`), { code: 'EINVAL', path });
}

/** One buffer per thread or process, reused for every file it hashes. */
let buffer: Buffer | undefined;

/**
 * Runs inside a hash-pool worker (a thread or a child process): hashes one finished file by path, so no file
 * body ever crosses IPC. A plain loop of synchronous reads into one reused buffer: a worker does nothing else
 * meanwhile, and a stream's fresh buffer per chunk (and its machinery) cost more CPU than the digest's margin.
 */
export default function hashFile(task: { path: string; algorithm: string }): string | FileFailure {
  try {
    return hashFileSync(task.path, task.algorithm);
  } catch (err) {
    // Sent back as data: an Error crossing to the main thread loses its `code` on the way.
    const e = err as NodeJS.ErrnoException;
    return { code: typeof e.code === 'string' ? e.code : 'EIO', message: e.message };
  }
}

/** A file that could not be read, as a pool worker reports it. */
export interface FileFailure {
  code: string;
  message: string;
}

function hashFileSync(path: string, algorithm: string): string {
  const hash = createDigest(algorithm);
  const buf = (buffer ??= Buffer.allocUnsafeSlow(READ_BYTES));
  const fd = fs.openSync(path, OPEN_FLAGS);
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw notRegular(path, st);
    for (let reads = 1; ; reads++) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      // This loop holds the event loop, so the orphan check below cannot run meanwhile: done here too,
      // every 16 MiB.
      if (parentPid !== undefined && (reads & 63) === 0 && process.ppid !== parentPid) die();
      hash.update(n === buf.length ? buf : buf.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

/**
 * The same on the main thread (`--hash-pool inline`), where a synchronous read would stop the event loop:
 * asynchronous reads, still into one buffer per file rather than one per chunk.
 */
export async function hashFileAsync(path: string, algorithm: string): Promise<string> {
  const hash = createDigest(algorithm);
  const fh = await fs.promises.open(path, OPEN_FLAGS);
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw notRegular(path, st);
    const buf = Buffer.allocUnsafeSlow(READ_BYTES);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      hash.update(bytesRead === buf.length ? buf : buf.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
  }
  return hash.digest('hex');
}

// A child process must never outlive dlpool, even when dlpool is killed with SIGKILL and cannot tell it:
// the IPC channel closing (or being re-parented) means the parent is gone.
const parentPid = typeof process.send === 'function' ? process.ppid : undefined;
/** SIGKILL, not process.exit(): exit waits for thread-pool work in flight; an orphan has nothing to flush. */
function die(): never {
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable');
}
if (parentPid !== undefined) {
  process.on('disconnect', die);
  setInterval(() => {
    if (process.ppid !== parentPid) die();
  }, 500).unref();
}
