import fs from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { onInterrupt } from '../../../src/cli/signals.js';

type Listener = (signal: NodeJS.Signals) => void;

function listenersNow(): Record<'SIGINT' | 'SIGTERM', Listener[]> {
  return { SIGINT: process.listeners('SIGINT'), SIGTERM: process.listeners('SIGTERM') };
}

/** The listeners onInterrupt added, to call directly: emitting on process would reach the runner's own too. */
function added(before: Record<'SIGINT' | 'SIGTERM', Listener[]>) {
  const pick = (sig: 'SIGINT' | 'SIGTERM') => {
    const l = process.listeners(sig).find((x) => !before[sig].includes(x))!;
    return () => l(sig);
  };
  return { SIGINT: pick('SIGINT'), SIGTERM: pick('SIGTERM') };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the signal policy', () => {
  it('the first signal aborts with its name and sets 143/130; a second ends at once with its own code', () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const before = listenersNow();
    const interrupt = onInterrupt();
    const cleaned: string[] = [];
    interrupt.beforeExit(() => cleaned.push('bars stopped'));
    const on = added(before);
    expect(interrupt.exitCode()).toBeUndefined();
    on.SIGTERM();
    expect(interrupt.signal.aborted).toBe(true);
    expect(interrupt.signal.reason).toBe('SIGTERM');
    expect(interrupt.exitCode()).toBe(143);
    expect(exit).not.toHaveBeenCalled();
    on.SIGINT();
    expect(cleaned).toEqual(['bars stopped']);
    expect(exit).toHaveBeenCalledWith(130);
    interrupt.close();
    expect(listenersNow()).toEqual(before);
  });

  it('a command with nothing to finish ends on the first signal', () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const before = listenersNow();
    const interrupt = onInterrupt(true);
    added(before).SIGINT();
    expect(exit).toHaveBeenCalledWith(130);
    interrupt.close();
  });

  it('runs every clean-up given before the process ends at once, in order (demo and the get inside it)', () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const before = listenersNow();
    const interrupt = onInterrupt();
    const cleaned: string[] = [];
    interrupt.beforeExit(() => cleaned.push('temporary folder removed'));
    interrupt.beforeExit(() => cleaned.push('bars stopped'));
    const on = added(before);
    on.SIGINT();
    on.SIGINT();
    expect(cleaned).toEqual(['temporary folder removed', 'bars stopped']);
    expect(exit).toHaveBeenCalledWith(130);
    interrupt.close();
  });

  it("is installed by the code of every command (commands/index.ts's run files)", () => {
    const cli = new URL('../../../src/cli/', import.meta.url);
    const index = fs.readFileSync(new URL('commands/index.ts', cli), 'utf8');
    const runFiles = [...new Set([...index.matchAll(/import\('\.\.\/([a-z-]+)\.js'\)/g)].map((m) => m[1]!))];
    expect(runFiles.length).toBeGreaterThanOrEqual(9);
    const without = runFiles.filter(
      (f) => !/\bonInterrupt\(/.test(fs.readFileSync(new URL(`${f}.ts`, cli), 'utf8')),
    );
    expect(without).toEqual([]);
  });
});
