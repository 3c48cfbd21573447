import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import {
  machineBusySeconds,
  openFds,
  pidAlive,
  procCpu,
  procMemory,
  treeCpuSeconds,
} from '../../../src/bench/proc.js';

const linux = fs.existsSync('/proc/self/stat');

describe.skipIf(!linux)('/proc readers (Linux)', () => {
  it('read this process: CPU, memory, fds, liveness', async () => {
    const spin = Date.now() + 50;
    while (Date.now() < spin); // some CPU to see
    const before = process.cpuUsage();
    const cpu = procCpu('self')!;
    const after = process.cpuUsage();
    // The kernel's own counts (getrusage) bracket them, but for /proc's rounding to clock ticks (10 ms).
    const tick = 0.02;
    expect(cpu.userS).toBeGreaterThan(0);
    expect(cpu.userS).toBeGreaterThanOrEqual(before.user / 1e6 - tick);
    expect(cpu.userS).toBeLessThanOrEqual(after.user / 1e6 + tick);
    expect(cpu.sysS).toBeGreaterThanOrEqual(before.system / 1e6 - tick);
    expect(cpu.sysS).toBeLessThanOrEqual(after.system / 1e6 + tick);
    // A process that has reaped no child (a Node that only spins) has childrenS 0, however busy it was.
    const child = spawn(process.execPath, [
      '-e',
      'const t = Date.now() + 100; while (Date.now() < t); console.log("spun"); setTimeout(() => {}, 30000);',
    ]);
    try {
      await new Promise((r) => child.stdout.once('data', r));
      const busy = procCpu(child.pid!)!;
      expect(busy.userS + busy.sysS).toBeGreaterThan(0);
      expect(busy.childrenS).toBe(0);
    } finally {
      child.kill();
    }
    const mem = procMemory(process.pid)!;
    expect(mem.rssKiB).toBeGreaterThan(1000);
    expect(mem.hwmKiB).toBeGreaterThanOrEqual(mem.rssKiB);
    expect(mem.threads).toBeGreaterThan(0);
    expect(openFds(process.pid)).toBeGreaterThan(2);
    expect(pidAlive(process.pid)).toBe(true);
    expect(treeCpuSeconds(process.pid)).toBeGreaterThan(0);
    expect(machineBusySeconds()).toBeGreaterThan(0);
  });

  it('leave out of the fd count the files under a folder given (the program loading its own code)', () => {
    const dir = fs.mkdtempSync(`${os.tmpdir()}/dlpool-fds-`);
    const fds = ['a.js', 'b.js', 'c.js'].map((n) => fs.openSync(`${dir}/${n}`, 'w'));
    try {
      const all = openFds(process.pid)!;
      expect(openFds(process.pid, dir)).toBe(all - 3);
      expect(openFds(process.pid, `${dir}-other`)).toBe(all);
    } finally {
      for (const fd of fds) fs.closeSync(fd);
      fs.rmSync(dir, { recursive: true });
    }
  });

  it('count a reaped child in childrenS, and a gone process as not alive', async () => {
    const before = procCpu('self')!.childrenS;
    const child = spawn(process.execPath, ['-e', 'const t = Date.now() + 300; while (Date.now() < t);']);
    await new Promise((r) => child.once('exit', r));
    expect(procCpu('self')!.childrenS).toBeGreaterThan(before);
    expect(pidAlive(child.pid!)).toBe(false);
    expect(procCpu(child.pid!)).toBeUndefined();
    expect(procMemory(child.pid!)).toBeUndefined();
  });
});
