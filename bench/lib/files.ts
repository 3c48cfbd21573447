import { spawnSync } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import fs from 'node:fs';

const CHUNK = 1024 * 1024;

/** Writes `size` random bytes to `file` (in 1 MiB chunks); returns their hex sha256. */
export function writeRandomFile(file: string, size: number): string {
  const h = createHash('sha256');
  const buf = Buffer.allocUnsafe(Math.min(size, CHUNK));
  const fd = fs.openSync(file, 'w');
  try {
    for (let done = 0; done < size; done += buf.length) {
      const part = buf.subarray(0, Math.min(buf.length, size - done));
      randomFillSync(part);
      h.update(part);
      fs.writeSync(fd, part);
    }
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}

/** `sync -f DIR` (the whole system's sync where -f is unknown). */
export function syncFs(dir: string): void {
  const r = spawnSync('sync', ['-f', dir], { stdio: 'ignore' });
  if (r.status !== 0) spawnSync('sync', [], { stdio: 'ignore' });
}
