import crypto from 'node:crypto';
import fs from 'node:fs';

/**
 * Runs inside a hash-pool worker (a thread or a child process): hashes one finished file by path, so no file
 * body ever crosses IPC. 1 MiB reads: node:crypto sha256 runs ~1.6 GB/s per core here, far above the read cost.
 */
export default function hashFile(task: { path: string; algorithm: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = crypto.createHash(task.algorithm);
    const rs = fs.createReadStream(task.path, { highWaterMark: 1024 * 1024 });
    rs.on('data', (chunk) => hash.update(chunk));
    rs.on('error', reject);
    rs.on('end', () => resolve(hash.digest('hex')));
  });
}

// A child process must never outlive dlpool, even when dlpool is killed with SIGKILL and cannot tell it:
// the IPC channel closing (or being re-parented) means the parent is gone.
if (typeof process.send === 'function') {
  const parent = process.ppid;
  // SIGKILL, not process.exit(): exit waits for thread-pool reads in flight, which may block (a FIFO, a hung
  // network filesystem); an orphan has nothing to flush.
  const die = () => process.kill(process.pid, 'SIGKILL');
  process.on('disconnect', die);
  setInterval(() => {
    if (process.ppid !== parent) die();
  }, 500).unref();
}
