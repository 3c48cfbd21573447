import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { type Layout, staleness } from '../../scripts/build-stamp.mjs';

/**
 * The tests run src/ as TypeScript, but thread workers, hash pools, digest threads, the bench probe and every
 * spawned `bin/dlpool.js` run dist/. So before any test (and before each rerun in watch mode) dist/ is rebuilt
 * if it does not match the sources, or the run stops with one line saying why: a passing test must have run
 * the code as it is now.
 */
export default async function setup(project: TestProject): Promise<void> {
  await ensureOrExit();
  project.onTestsRerun(ensureOrExit);
}

/**
 * Thrown, the error would come after vitest's 'No test files found' and its filters, which point the wrong way,
 * or in watch mode as an unhandled rejection, which ends vitest all the same: one line and exit 1 instead.
 */
async function ensureOrExit(): Promise<void> {
  try {
    await ensureFreshBuild();
  } catch (err) {
    if (!(err instanceof StaleBuildError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}

export interface FreshBuildOptions {
  /** @default this repository */
  root?: string;
  /** The build, as a command and its arguments. @default ['npm', 'run', 'build'] */
  build?: string[];
  /** @default scripts/build-stamp.mjs's INPUTS and OUTPUTS */
  layout?: Layout;
  /** Where the one line about a rebuild goes. @default standard error */
  log?: (line: string) => void;
  /** How long to wait for another test run's build of the same tree. @default 300_000 */
  lockWaitMs?: number;
}

/** Said in one line: where in this file it was thrown is no help to anyone. */
export class StaleBuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StaleBuildError';
    this.stack = `${this.name}: ${message}`;
  }
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export async function ensureFreshBuild(opts: FreshBuildOptions = {}): Promise<void> {
  const root = opts.root ?? ROOT;
  const build = opts.build ?? ['npm', 'run', 'build'];
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  if (staleness(root, opts.layout) === undefined) return;
  const unlock = await lock(root, opts.lockWaitMs ?? 300_000, log);
  try {
    // Once more under the lock: another run may have built it meanwhile. A second stale answer after a build
    // means the sources changed while it ran; a third build would likely race the same editor again.
    for (let builds = 0; ; builds++) {
      const why = staleness(root, opts.layout);
      if (why === undefined) return;
      const command = build.join(' ');
      if (builds === 2)
        throw new StaleBuildError(
          `${why}, even after ${builds} runs of ${command}: were the sources edited meanwhile?`,
        );
      log(`${why}: running ${command} before the tests`);
      const code = await run(build, root);
      if (code !== 0)
        throw new StaleBuildError(
          `${why}, and ${command} failed (output above): the tests load workers from dist/, so none ran`,
        );
    }
  } finally {
    unlock();
  }
}

function run(argv: string[], cwd: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd,
      stdio: ['ignore', 'inherit', 'inherit'],
      shell: process.platform === 'win32',
    });
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
}

/**
 * One build of a tree at a time: the build empties dist/ first, so a second run building alongside would delete
 * the first one's output under it. The lock is a folder holding its owner's pid, made whole by a rename; a lock
 * whose owner died is taken over.
 */
async function lock(root: string, waitMs: number, log: (line: string) => void): Promise<() => void> {
  const dir = lockPath(root);
  const deadline = Date.now() + waitMs;
  let told = false;
  for (;;) {
    const mine = fs.mkdtempSync(`${dir}-`);
    fs.writeFileSync(path.join(mine, 'pid'), String(process.pid));
    try {
      fs.renameSync(mine, dir);
      return () => fs.rmSync(dir, { recursive: true, force: true });
    } catch (err) {
      fs.rmSync(mine, { recursive: true, force: true });
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
    }
    const owner = Number(readOr(path.join(dir, 'pid'), ''));
    if (owner > 0 && !alive(owner)) {
      fs.rmSync(dir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline)
      throw new StaleBuildError(
        `dist/ is being built by another test run (pid ${owner}) for too long: ${dir}`,
      );
    if (!told) log(`dist/ is being built by another test run (pid ${owner}): waiting for it`);
    told = true;
    await sleep(200);
  }
}

/** The lock of one tree's build: outside the tree, which the build empties and git should not see. */
export function lockPath(root: string): string {
  const key = crypto.createHash('sha256').update(fs.realpathSync(root)).digest('hex').slice(0, 16);
  return path.join(os.tmpdir(), `dlpool-build-${key}.lock`);
}

function readOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
