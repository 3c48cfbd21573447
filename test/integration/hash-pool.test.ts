import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createHasher } from '../../src/hash/hasher.js';
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

/** True while one of the process's threads is blocked opening a FIFO (kernel wait channel). */
function openingFifo(pid: number): boolean {
  try {
    return fs
      .readdirSync(`/proc/${pid}/task`)
      .some((tid) => fs.readFileSync(`/proc/${pid}/task/${tid}/wchan`, 'utf8').includes('wait_for_partner'));
  } catch {
    return false;
  }
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
    // A FIFO blocks the worker's read until we write: the child is certainly busy with this file when killed.
    const fifo = path.join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const hasher = createHasher('processes', 1);
    const before = new Set(childrenOf(process.pid));
    try {
      const digest = hasher.hashFile(fifo, 'sha256');
      let victim: number | undefined;
      await waitFor(() => {
        victim = childrenOf(process.pid).find((p) => !before.has(p));
        return victim !== undefined;
      }, 10_000);
      expect(victim).toBeDefined();
      // Wait until the child is inside this file (blocked opening the FIFO), then kill it for real.
      expect(await waitFor(() => openingFifo(victim!), 10_000)).toBe(true);
      process.kill(victim!, 'SIGKILL');
      await waitFor(() => !alive(victim!), 5_000);
      // The retry opens the FIFO again; feed it and the digest must be right.
      const payload = Buffer.alloc(100_000, 42);
      await new Promise<void>((resolve, reject) => {
        const ws = fs.createWriteStream(fifo);
        ws.on('error', reject);
        ws.end(payload, () => resolve());
      });
      expect(await digest).toBe(crypto.createHash('sha256').update(payload).digest('hex'));
    } finally {
      await hasher.close();
    }
    // Three waits of up to 10 s each: a loaded 2-core machine (the whole suite in parallel) has needed more than 30 s.
  }, 60_000);

  it('children exit within seconds when the parent is killed with SIGKILL', async () => {
    const dir = await tmpDir();
    const fifo = path.join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const hasherModule = fileURLToPath(new URL('../../dist/hash/hasher.js', import.meta.url));
    // A parent that starts two hash workers (both blocked on the FIFO) and then waits forever.
    const code = `
      import { createHasher } from ${JSON.stringify(hasherModule)};
      const h = createHasher('processes', 2);
      h.hashFile(${JSON.stringify(fifo)}, 'sha256').catch(() => {});
      h.hashFile(${JSON.stringify(fifo)}, 'sha256').catch(() => {});
      setInterval(() => {}, 1000);
    `;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: 'ignore' });
    try {
      let kids: number[] = [];
      await waitFor(() => {
        kids = childrenOf(parent.pid!);
        return kids.length >= 2;
      }, 10_000);
      expect(kids.length).toBeGreaterThanOrEqual(2);
      expect(await waitFor(() => kids.every(openingFifo), 10_000)).toBe(true);
      parent.kill('SIGKILL');
      const gone = await waitFor(() => kids.every((k) => !alive(k)), 5_000);
      expect(gone).toBe(true);
    } finally {
      parent.kill('SIGKILL');
      // Unblock anything still reading the FIFO so nothing lingers.
      try {
        const fd = fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
        fs.closeSync(fd);
      } catch {
        // No reader left: that is the expected case.
      }
    }
  });
});
