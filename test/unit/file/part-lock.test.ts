import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { build } from 'esbuild';
import { describe, expect, it, vi } from 'vitest';
import { dropOwnerFile, PartLock, STALE_MS } from '../../../src/file/part-lock.js';
import { MAX_NAME_BYTES } from '../../../src/jobs/naming.js';
import { TEMP_STALE_MS } from '../../../src/file/part-ops.js';
import { tmpDir } from '../../helpers/tmp.js';

async function partIn(): Promise<{ dir: string; part: string; lock: string }> {
  const dir = await tmpDir();
  const part = path.join(dir, 'f.bin.part');
  return { dir, part, lock: `${part}.lock` };
}

/** The owner line a lock of this thread holds, as an object a test may rewrite. */
function ownerLine(part: string): Record<string, unknown> {
  const held = PartLock.acquire(part);
  const o = JSON.parse(fs.readFileSync(held.path, 'utf8').split('\n')[0]!) as Record<string, unknown>;
  held.release();
  return o;
}

function writeLock(lock: string, o: Record<string, unknown>, ageMs = 0): void {
  fs.writeFileSync(lock, `${JSON.stringify(o)}\n`);
  if (ageMs > 0) {
    const then = new Date(Date.now() - ageMs);
    fs.utimesSync(lock, then, then);
  }
}

const busyCode = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
};

/** The pid of a process that has exited (and been reaped). */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!;
}

/** The OS thread id of a worker thread that has exited. */
async function deadTid(): Promise<number> {
  const w = new Worker(
    "require('worker_threads').parentPort.postMessage(require('fs').readlinkSync('/proc/thread-self'))",
    { eval: true },
  );
  const link = await new Promise<string>((resolve) => w.once('message', resolve));
  await new Promise((r) => w.once('exit', r));
  return Number(/(\d+)$/.exec(link)![1]);
}

const bundles = new Map<string, Promise<unknown>>();

/** The lock module bundled from src/ for child processes, and a child that takes the lock of `part`. */
async function lockChild(dir: string, part: string, script: string) {
  const bundle = path.join(dir, 'part-lock.mjs');
  // Built once per folder, however many children start at once.
  let built = bundles.get(bundle);
  if (!built) {
    built = build({
      entryPoints: [fileURLToPath(new URL('../../../src/file/part-lock.ts', import.meta.url))],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: bundle,
      logLevel: 'silent',
    });
    bundles.set(bundle, built);
  }
  await built;
  const code = `
    import fs from 'node:fs';
    const { PartLock } = await import(${JSON.stringify(bundle)});
    const part = ${JSON.stringify(part)};
    ${script}
  `;
  return spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['pipe', 'pipe', 'inherit'] });
}

describe('PartLock', () => {
  it('one holder at a time: a second taker is told who holds it; released, it is free again', async () => {
    const { part, lock, dir } = await partIn();
    const held = PartLock.acquire(part);
    // The lock is a hard link to this thread's owner file in the folder (one file made per folder, not per lock).
    const [ownerFile, lockName, ...rest] = fs.readdirSync(dir).sort();
    expect([lockName, rest]).toEqual(['f.bin.part.lock', []]);
    expect(ownerFile).toMatch(/^\.dlpool-lock-\w+$/);
    expect(fs.statSync(lock).ino).toBe(fs.statSync(path.join(dir, ownerFile!)).ino);
    const owner = JSON.parse(fs.readFileSync(lock, 'utf8')) as { pid: number; host: string };
    expect([owner.pid, owner.host]).toEqual([process.pid, os.hostname()]);
    expect(() => PartLock.acquire(part)).toThrow(
      `'${part}' is being written by another dlpool run (pid ${process.pid} on ${os.hostname()})`,
    );
    expect(busyCode(() => PartLock.acquire(part))).toBe('ERR_DL_BUSY');
    held.release();
    expect(fs.readdirSync(dir)).toEqual([ownerFile]);
    PartLock.acquire(part).release();
    // The folder closed (DirMaker), the owner file goes too.
    dropOwnerFile(`${dir}/`);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('takes over the lock of a process that is gone, of a reused pid, and of a dead worker thread', async () => {
    const { part, lock } = await partIn();
    const mine = ownerLine(part);
    const cases = [
      { ...mine, pid: deadPid(), tid: undefined },
      { ...mine, start: '1' }, // this pid, but another process's start time
      { ...mine, tid: await deadTid() },
    ];
    for (const stale of cases) {
      writeLock(lock, stale);
      const held = PartLock.acquire(part);
      expect(JSON.parse(fs.readFileSync(lock, 'utf8'))).toMatchObject({ pid: process.pid, tid: mine.tid });
      held.release();
    }
  });

  it('a lock of another host is live while its heartbeat is fresh, abandoned after STALE_MS', async () => {
    const { part, lock } = await partIn();
    const other = { ...ownerLine(part), node: 'elsewhere/boot/pid:[1]', host: 'elsewhere', pid: 1 };
    writeLock(lock, other);
    expect(() => PartLock.acquire(part)).toThrow('(pid 1 on elsewhere)');
    writeLock(lock, other, STALE_MS + 1000);
    PartLock.acquire(part).release();
  });

  it('a lock without an owner line is being created (busy) unless old', async () => {
    const { part, lock } = await partIn();
    writeLock(lock, {});
    expect(busyCode(() => PartLock.acquire(part))).toBe('ERR_DL_BUSY');
    writeLock(lock, {}, STALE_MS + 1000);
    PartLock.acquire(part).release();
  });

  it('refuses a symbolic link or a FIFO at NAME.part.lock and never writes through it', async () => {
    const { part, lock, dir } = await partIn();
    const target = path.join(dir, 'target');
    fs.writeFileSync(target, 'untouched');
    fs.symlinkSync(target, lock);
    expect(busyCode(() => PartLock.acquire(part))).toBe('ERR_DL_UNSAFE_NAME');
    expect(fs.readFileSync(target, 'utf8')).toBe('untouched');
    fs.unlinkSync(lock);
    spawnSync('mkfifo', [lock]);
    expect(busyCode(() => PartLock.acquire(part))).toBe('ERR_DL_UNSAFE_NAME');
    fs.unlinkSync(lock);
    fs.mkdirSync(lock);
    expect(busyCode(() => PartLock.acquire(part))).toBe('ERR_DL_UNSAFE_NAME');
    expect(fs.readdirSync(lock)).toEqual([]);
  });

  it('fits beside the longest name dlpool gives (245 bytes: NAME.part.lock is 255)', async () => {
    const { dir } = await partIn();
    const part = path.join(dir, `${'é'.repeat(120)}x.bin.part`);
    expect(Buffer.byteLength(path.basename(part, '.part'))).toBe(MAX_NAME_BYTES);
    PartLock.acquire(part).release();
  });

  it('the heartbeat refreshes the mtime; a lock taken over meanwhile is lost, not removed', async () => {
    const { part, lock } = await partIn();
    const held = PartLock.acquire(part);
    const old = new Date(Date.now() - 30_000);
    fs.utimesSync(lock, old, old);
    held.beat();
    expect(Date.now() - fs.statSync(lock).mtimeMs).toBeLessThan(10_000);
    // Another host judged it stale and took it over: this holder must not rename, nor remove that lock.
    writeLock(lock, { ...ownerLine(`${part}-x`), nonce: 'theirs' });
    held.beat();
    expect(() => held.check(part)).toThrow('was taken over by another dlpool run');
    held.release();
    expect(fs.existsSync(lock)).toBe(true);
  });

  it('clearStale removes a dead owner’s lock and leaves a live one', async () => {
    const { part, lock } = await partIn();
    writeLock(lock, { ...ownerLine(part), pid: deadPid(), tid: undefined });
    PartLock.clearStale(part);
    expect(fs.existsSync(lock)).toBe(false);
    const held = PartLock.acquire(part);
    PartLock.clearStale(part);
    expect(fs.existsSync(lock)).toBe(true);
    held.release();
  });

  it('a killed process’s lock is taken over, and its owner file goes with its last lock', async () => {
    const { part, lock, dir } = await partIn();
    const kid = await lockChild(
      dir,
      part,
      `PartLock.acquire(part); PartLock.acquire(part + '2'); process.stdout.write('held\\n'); setInterval(() => {}, 1000);`,
    );
    await new Promise((resolve) => kid.stdout.once('data', resolve));
    kid.kill('SIGKILL');
    await new Promise((r) => kid.once('exit', r));
    const left = fs.readdirSync(dir).filter((f) => f.startsWith('.dlpool-lock-'));
    expect(left).toHaveLength(1);
    PartLock.acquire(part).release();
    // Its other lock still names it: the owner file stays until that one is taken over too.
    expect(fs.existsSync(path.join(dir, left[0]!))).toBe(true);
    PartLock.clearStale(`${part}2`);
    expect(fs.existsSync(path.join(dir, left[0]!))).toBe(false);
    expect(fs.existsSync(lock)).toBe(false);
    dropOwnerFile(`${dir}/`);
    expect(fs.readdirSync(dir).filter((f) => f !== 'part-lock.mjs')).toEqual([]);
  });

  it('a killed run’s owner file that held no lock goes when a dead owner’s lock is taken over there', async () => {
    const { part, lock, dir } = await partIn();
    // One child held nothing when it was killed (its thread had no download in the folder), one lives idle.
    // (Each its own name: two children taking one name at the same moment would find it busy.)
    const idle = `PartLock.acquire(part + process.pid).release(); process.stdout.write('held\\n'); setInterval(() => {}, 1000);`;
    const [dead, live] = [await lockChild(dir, part, idle), await lockChild(dir, part, idle)];
    try {
      await Promise.all([dead, live].map((k) => new Promise((resolve) => k.stdout.once('data', resolve))));
      dead.kill('SIGKILL');
      await new Promise((r) => dead.once('exit', r));
      const ownerFiles = () => fs.readdirSync(dir).filter((f) => f.startsWith('.dlpool-lock-'));
      expect(ownerFiles()).toHaveLength(2);
      const before = new Set(ownerFiles());
      writeLock(lock, { ...ownerLine(part), pid: deadPid(), tid: undefined });
      PartLock.acquire(part).release();
      const mine = ownerFiles().filter((f) => !before.has(f));
      // The dead child's file went; the live child's and this thread's stay.
      expect(ownerFiles()).toHaveLength(2);
      expect(mine).toHaveLength(1);
    } finally {
      // (Also when the test fails: a child left idle would run for ever.)
      for (const k of [dead, live]) k.kill('SIGKILL');
      dropOwnerFile(`${dir}/`);
    }
  });

  it('a takeover there also removes the private files of small bodies a killed run left, once ten seconds old', async () => {
    const { part, lock, dir } = await partIn();
    const old = path.join(dir, '.dlpool-part-0123456789abcdef');
    const young = path.join(dir, '.dlpool-part-fedcba9876543210');
    const other = path.join(dir, '.dlpool-part-x');
    for (const f of [old, young, other]) fs.writeFileSync(f, 'body');
    writeLock(lock, { ...ownerLine(part), pid: deadPid(), tid: undefined });
    // Only `old` is past TEMP_STALE_MS when the sweep looks: the clock is moved on for it alone.
    const now = Date.now;
    const ctimes = new Map([[old, fs.statSync(old).ctimeMs]]);
    const lstat = fs.lstatSync;
    const spy = vi.spyOn(fs, 'lstatSync').mockImplementation(((p: fs.PathLike, o?: fs.StatSyncOptions) => {
      const st = lstat(p, o);
      if (st && ctimes.has(String(p))) st.ctimeMs = now() - TEMP_STALE_MS - 1000;
      return st;
    }) as typeof fs.lstatSync);
    try {
      PartLock.acquire(part).release();
    } finally {
      spy.mockRestore();
    }
    expect([old, young, other].map((f) => fs.existsSync(f))).toEqual([false, true, true]);
    dropOwnerFile(`${dir}/`);
  });

  it('of many processes taking over one stale lock at the same moment, exactly one wins', async () => {
    const { part, lock, dir } = await partIn();
    const go = path.join(dir, 'go');
    // Each child waits for \`go\` to appear, tries once, says how it went, and holds what it won until stdin ends.
    const script = `
      process.stdout.write('ready\\n');
      while (!fs.existsSync(${JSON.stringify(go)})) await new Promise((r) => setTimeout(r, 1));
      let said;
      try { PartLock.acquire(part); said = 'won'; } catch (e) { said = e.code; }
      process.stdout.write(said + '\\n');
      process.stdin.resume();
      process.stdin.on('end', () => process.exit(0));
    `;
    writeLock(lock, { ...ownerLine(part), pid: deadPid(), tid: undefined });
    const kids = await Promise.all(Array.from({ length: 6 }, () => lockChild(dir, part, script)));
    const lines = kids.map((k) => {
      let out = '';
      k.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      return (n: number) =>
        new Promise<string[]>((resolve) => {
          const look = () => {
            const l = out.split('\n').filter(Boolean);
            if (l.length >= n) resolve(l);
            else k.stdout.once('data', look);
          };
          look();
        });
    });
    await Promise.all(lines.map((l) => l(1)));
    fs.writeFileSync(go, '');
    const said = (await Promise.all(lines.map((l) => l(2)))).map((l) => l[1]);
    for (const k of kids) k.stdin.end();
    await Promise.all(kids.map((k) => new Promise((r) => k.once('exit', r))));
    expect(said, JSON.stringify(said)).toBeDefined();
    expect(
      said.filter((s) => s === 'won'),
      JSON.stringify(said),
    ).toHaveLength(1);
    expect(said.filter((s) => s !== 'won').every((s) => s === 'ERR_DL_BUSY')).toBe(true);
  });
});
