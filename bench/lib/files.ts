import { spawnSync } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

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

/**
 * How fast `dir`'s file system makes files now: `n` empty files created in a fresh folder under it, per second
 * (then removed). Every small-file run pays this for each of its files, and on ext4 it falls several times after
 * many deletions nearby, which brings every tool's time, and so every ratio, toward it.
 */
export function createsPerSecond(dir: string, n = 2000): number {
  const probe = fs.mkdtempSync(path.join(dir, '.create-probe-'));
  try {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fs.closeSync(fs.openSync(path.join(probe, `f${i}`), 'wx'));
    return Math.round(n / ((performance.now() - t0) / 1000));
  } finally {
    fs.rmSync(probe, { recursive: true, force: true });
  }
}
