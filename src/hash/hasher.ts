import { packageUrl } from '../paths.js';
import type { Tinypool } from 'tinypool';
import { InlineTap, type Tap, TapPool } from './stream-tap.js';
import { type FileFailure, hashFileAsync } from './worker.js';

/** Where digests are computed (see createHasher). */
export const HASH_POOL_KINDS = ['inline', 'threads', 'processes'] as const;
export type HashPoolKind = (typeof HASH_POOL_KINDS)[number];

/**
 * Where digests are computed. `inline` hashes bytes on the main thread as they stream in (tap) and finished
 * files there too; `threads` hashes downloads as they stream in on digest threads (TapPool) and finished
 * files by path in a pool; `processes` hashes finished files by path in a pool of child processes. The
 * engine never branches on the kind: it asks for a tap, and if there is none, asks for the file's digest.
 */
export interface Hasher {
  readonly kind: HashPoolKind;
  /** An incremental digest fed with the body as it arrives, or undefined when this hasher hashes finished files. */
  tap(algorithm: string): Tap | undefined;
  /** Digest (hex) of a finished file. */
  hashFile(path: string, algorithm: string): Promise<string>;
  close(): Promise<void>;
}

class InlineHasher implements Hasher {
  readonly kind = 'inline';
  tap(algorithm: string): Tap {
    return new InlineTap(algorithm);
  }
  hashFile(path: string, algorithm: string): Promise<string> {
    return hashFileAsync(path, algorithm);
  }
  async close(): Promise<void> {}
}

// Workers run compiled JS (also under the test runner, and from the bundled CLI).
const WORKER_URL = packageUrl('dist/hash/worker.js');

/** A tinypool of worker threads or child processes, started on first use and sized by --workers. */
class PoolHasher implements Hasher {
  private pool: Promise<Tinypool> | undefined;
  /** Digest threads for downloads (threads kind only), started on the first tap. */
  private taps: TapPool | undefined;
  constructor(
    readonly kind: 'threads' | 'processes',
    private readonly workers: number,
  ) {}

  /**
   * Threads: a digest thread hashes the body as it arrives (the event loop only copies it into 1 MiB buffers).
   * Processes: none (bytes would be copied through IPC): the finished file is hashed by path.
   */
  tap(algorithm: string): Tap | undefined {
    if (this.kind !== 'threads') return undefined;
    this.taps ??= new TapPool(this.workers);
    return this.taps.tap(algorithm);
  }

  /** tinypool (and with it child_process and worker_threads) loads only when a pool is used. */
  private start(): Promise<Tinypool> {
    this.pool ??= this.create();
    return this.pool;
  }

  private async create(): Promise<Tinypool> {
    const { Tinypool } = await import('tinypool');
    const pool = new Tinypool({
      filename: WORKER_URL.href,
      runtime: this.kind === 'processes' ? 'child_process' : 'worker_threads',
      minThreads: 0,
      maxThreads: this.workers,
      idleTimeout: 2_000,
      // Children must not inherit the parent's node flags (--input-type, --cpu-prof, ...): they break or
      // slow a plain worker.
      ...(this.kind === 'processes' ? { execArgv: [] } : {}),
    });
    // A worker dying outside a task (at start-up, while idle) is reported here; without a listener the
    // 'error' event would end dlpool. Tasks in flight are rejected and retried by hashFile.
    pool.on('error', () => {});
    // tinypool listens once per task in flight; up to -j tasks at a time is expected, not a leak.
    pool.setMaxListeners(0);
    return pool;
  }

  async hashFile(path: string, algorithm: string): Promise<string> {
    let out: string | FileFailure;
    try {
      out = (await (await this.start()).run({ path, algorithm })) as string | FileFailure;
    } catch {
      // A worker that crashed or was killed fails only this file's hash: try once more on a fresh worker.
      // (A file that cannot be read is not a throw: the worker answers with its error code.)
      out = (await (await this.start()).run({ path, algorithm })) as string | FileFailure;
    }
    if (typeof out === 'string') return out;
    throw Object.assign(new Error(out.message), { code: out.code, path });
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    const taps = this.taps;
    this.taps = undefined;
    await Promise.all([(async () => (await pool)?.destroy())(), taps?.close()]);
  }
}

export function createHasher(kind: HashPoolKind, workers: number): Hasher {
  return kind === 'inline' ? new InlineHasher() : new PoolHasher(kind, workers);
}
