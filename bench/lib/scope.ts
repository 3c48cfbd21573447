import { type ChildProcess, spawn, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pidAlive } from '../../src/bench/proc.js';

/**
 * Everything one bench run starts or makes (child processes, temp dirs, other undo steps), undone once by
 * closeSync(): at the end, on an error and on a signal (bench/main.ts calls it from process 'exit'). Children are
 * spawned in process groups of their own, so a timeout or the end kills a tool with everything it started
 * (a tool under /usr/bin/time, nginx and its workers).
 */
export class Scope {
  readonly #children = new Set<ChildProcess>();
  readonly #undo: (() => void)[] = [];
  #closed = false;

  /** Spawns a child in its own process group; it is stopped when the scope closes. */
  spawn(command: string, args: readonly string[], options: SpawnOptions): ChildProcess {
    const child = spawn(command, args, { ...options, detached: true });
    this.#children.add(child);
    child.once('exit', () => this.#children.delete(child));
    return child;
  }

  /** A fresh temp dir (under `parent`, default the system's), removed when the scope closes unless `keep`. */
  tempDir(prefix: string, o: { parent?: string | undefined; keep?: boolean } = {}): string {
    const dir = fs.mkdtempSync(path.join(o.parent ?? os.tmpdir(), prefix));
    if (!o.keep) this.defer(() => fs.rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  #scratch: string | undefined;

  /** One temp dir of the scope's own for small files (GNU time's output), made on first use. */
  scratch(): string {
    this.#scratch ??= this.tempDir('dlpool-bench-scratch-');
    return this.#scratch;
  }

  /** Runs `fn` when the scope closes, after the children are stopped; the last deferred runs first. */
  defer(fn: () => void): void {
    this.#undo.push(fn);
  }

  closeSync(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const child of this.#children) stopSync(child);
    for (const fn of this.#undo.reverse()) {
      try {
        fn();
      } catch {}
    }
  }
}

/** Sends `signal` to the child's process group (to the child alone if that fails). */
export function killTree(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {}
  }
}

/** SIGTERM to the group, up to 5 s for it to go, then SIGKILL. Synchronous: it also runs from 'exit'. */
export function stopSync(child: ChildProcess): void {
  const pid = child.pid;
  if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  killTree(child, 'SIGTERM');
  const until = Date.now() + 5000;
  const nap = new Int32Array(new SharedArrayBuffer(4));
  while (Date.now() < until && pidAlive(pid)) Atomics.wait(nap, 0, 0, 50);
  if (pidAlive(pid)) killTree(child, 'SIGKILL');
}
