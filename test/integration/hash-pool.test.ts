import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createHasher } from '../../src/hash/hasher.js';
import { holdsOpen } from '../helpers/proc.js';
import { tmpDir } from '../helpers/tmp.js';

/** PIDs of the direct children of `pid` (Linux /proc). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const state = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    return state !== 'Z';
  } catch {
    return false;
  }
}

/** A sparse file of 64 GiB: hashing it keeps a worker busy for a minute, on no disk space. */
function endlessFile(dir: string): string {
  const file = path.join(dir, 'big');
  fs.writeFileSync(file, '');
  fs.truncateSync(file, 64 * 1024 ** 3);
  return file;
}

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

describe('process hash pool', () => {
  it('retries a hash once on a fresh worker when its child process is killed mid-file', async () => {
    const dir = await tmpDir();
    // Hashing 64 GiB keeps the child busy with this file well past the kill.
    const big = endlessFile(dir);
    const hasher = createHasher('processes', 1);
    const before = new Set(childrenOf(process.pid));
    try {
      const digest = hasher.hashFile(big, 'sha256');
      let victim: number | undefined;
      await waitFor(() => {
        victim = childrenOf(process.pid).find((p) => !before.has(p));
        return victim !== undefined;
      }, 10_000);
      expect(victim).toBeDefined();
      expect(await waitFor(() => holdsOpen(victim!, big), 10_000)).toBe(true);
      // The retry opens the name again: it now holds a small file, whose digest must come back.
      const payload = Buffer.alloc(100_000, 42);
      fs.writeFileSync(`${big}.new`, payload);
      fs.renameSync(`${big}.new`, big);
      process.kill(victim!, 'SIGKILL');
      expect(await digest).toBe(crypto.createHash('sha256').update(payload).digest('hex'));
    } finally {
      await hasher.close();
    }
    // Waits of up to 10 s each: a loaded 2-core machine (the whole suite in parallel) has needed more than 30 s.
  }, 60_000);

  it('children exit within seconds when the parent is killed with SIGKILL, even in the middle of a file', async () => {
    const dir = await tmpDir();
    const big = endlessFile(dir);
    const hasherModule = fileURLToPath(new URL('../../dist/hash/hasher.js', import.meta.url));
    // A parent that starts two hash workers (both busy with the 64 GiB file) and then waits forever.
    const code = `
      import { createHasher } from ${JSON.stringify(hasherModule)};
      const h = createHasher('processes', 2);
      h.hashFile(${JSON.stringify(big)}, 'sha256').catch(() => {});
      h.hashFile(${JSON.stringify(big)}, 'sha256').catch(() => {});
      setInterval(() => {}, 1000);
    `;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: 'ignore' });
    let kids: number[] = [];
    try {
      await waitFor(() => {
        kids = childrenOf(parent.pid!);
        return kids.length >= 2;
      }, 10_000);
      expect(kids.length).toBeGreaterThanOrEqual(2);
      expect(await waitFor(() => kids.every((k) => holdsOpen(k, big)), 10_000)).toBe(true);
      parent.kill('SIGKILL');
      const gone = await waitFor(() => kids.every((k) => !alive(k)), 5_000);
      expect(gone).toBe(true);
    } finally {
      parent.kill('SIGKILL');
      for (const k of kids) {
        try {
          process.kill(k, 'SIGKILL');
        } catch {
          // Gone already: the expected case.
        }
      }
    }
  }, 40_000);

  it('refuses a FIFO instead of waiting for a writer forever, and a directory as EISDIR (every pool kind)', async () => {
    const dir = await tmpDir();
    const fifo = path.join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    for (const kind of ['inline', 'threads', 'processes'] as const) {
      const hasher = createHasher(kind, 1);
      try {
        await expect(hasher.hashFile(fifo, 'sha256'), kind).rejects.toMatchObject({ code: 'EINVAL' });
        await expect(hasher.hashFile(dir, 'sha256'), kind).rejects.toMatchObject({ code: 'EISDIR' });
      } finally {
        await hasher.close();
      }
    }
  });
});
