import type { BenchConfig } from './types.js';

// Types only: the bench harness (bench/) compiles this module without the library's runtime.

/**
 * `dlpool get` arguments that reproduce a configuration; `hash` names the digest algorithm of the hashing
 * configurations (the bench harness's HASH knob).
 */
export function configArgs(c: Omit<BenchConfig, 'key'>, hash = 'sha256'): string[] {
  const args = ['-j', String(c.concurrency)];
  if ((c.split ?? 1) > 1) args.push('-x', String(c.split));
  if (c.mode !== 'async') args.push('--mode', c.mode);
  if (c.hashPool !== 'none') args.push('--hash', hash, '--hash-pool', c.hashPool);
  if (c.mode === 'threads' || c.hashPool === 'threads' || c.hashPool === 'processes')
    args.push('-w', String(c.workers));
  return args;
}

/** `dlpool get` flags that reproduce a configuration. */
export function configFlags(c: BenchConfig): string {
  return configArgs(c).join(' ');
}
