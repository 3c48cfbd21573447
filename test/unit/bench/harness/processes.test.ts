import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pidAlive } from '../../../../src/bench/proc.js';
import { childEnv, GNU_TIME, runTimed } from '../../../../bench/lib/processes.js';
import { Scope } from '../../../../bench/lib/scope.js';

describe('childEnv', () => {
  it('drops every proxy variable and sends loopback past any proxy, keeping the rest', () => {
    const env = childEnv(
      { PATH: '/bin', HTTP_PROXY: 'http://p:1', https_proxy: 'x', ALL_PROXY: 'y' },
      { CI: 'true' },
    );
    expect(env).toEqual({
      PATH: '/bin',
      NO_PROXY: '127.0.0.1,localhost',
      no_proxy: '127.0.0.1,localhost',
      CI: 'true',
    });
  });
});

describe('runTimed and Scope', () => {
  it('times a child: wall clock, exit code, output, and CPU and peak RSS from GNU time when present', async () => {
    const scope = new Scope();
    try {
      const r = await runTimed(
        scope,
        [
          process.execPath,
          '-e',
          // 200 ms of CPU, not of wall clock: on a loaded machine a wall-clock spin gets less CPU than asked.
          'while (process.cpuUsage().user < 200_000); console.log("hi"); process.exit(3)',
        ],
        { env: {} },
      );
      expect(r.code).toBe(3);
      expect(r.timedOut).toBe(false);
      expect(r.output).toContain('hi');
      expect(r.wallS).toBeGreaterThan(0.15);
      if (GNU_TIME) {
        expect(r.cpuS).toBeGreaterThan(0.1);
        expect(r.maxRssKiB).toBeGreaterThan(10_000);
      }
    } finally {
      scope.closeSync();
    }
  });

  it('kills a child that outlives its timeout, with what it started', async () => {
    const scope = new Scope();
    try {
      // The child starts a grandchild that prints its pid; both would sleep a minute.
      const grandchild = 'console.log("grandchild", process.pid); setTimeout(() => {}, 60000)';
      const script = `require("child_process").spawn(process.execPath, ["-e", ${JSON.stringify(grandchild)}], { stdio: "inherit" }); setTimeout(() => {}, 60000)`;
      const r = await runTimed(scope, [process.execPath, '-e', script], {
        env: {},
        timeoutS: 1,
        measure: false,
      });
      expect(r.timedOut).toBe(true);
      expect(r.signal).toBe('SIGKILL');
      expect(r.wallS).toBeLessThan(10);
      const pid = Number(/grandchild (\d+)/.exec(r.output)?.[1]);
      expect(pid).toBeGreaterThan(0);
      // SIGKILL went to its process group; give the kernel a moment to finish it.
      for (let i = 0; i < 40 && pidAlive(pid); i++) await new Promise((r) => setTimeout(r, 50));
      expect(pidAlive(pid)).toBe(false);
    } finally {
      scope.closeSync();
    }
  });

  it('closeSync stops children still running and removes its temp dirs, once', async () => {
    const scope = new Scope();
    const dir = scope.tempDir('dlpool-test-scope-');
    fs.writeFileSync(path.join(dir, 'f'), 'x');
    const kept = scope.tempDir('dlpool-test-scope-', { keep: true });
    const child = scope.spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    await new Promise((r) => child.once('spawn', r));
    const order: string[] = [];
    scope.defer(() => order.push('first'));
    scope.defer(() => order.push('second'));
    scope.closeSync();
    scope.closeSync();
    expect(pidAlive(child.pid!)).toBe(false);
    expect(fs.existsSync(dir)).toBe(false);
    expect(fs.existsSync(kept)).toBe(true);
    expect(order).toEqual(['second', 'first']);
    fs.rmSync(kept, { recursive: true });
  });
});
