import { describe, expect, it } from 'vitest';
import { configArgs, configFlags } from '../../../src/bench/flags.js';
import { configKey } from '../../../src/bench/matrix.js';

describe('configArgs', () => {
  it('gives the dlpool get arguments of a matrix point', () => {
    expect(configArgs({ mode: 'async', concurrency: 16, workers: 1, hashPool: 'none' })).toEqual([
      '-j',
      '16',
    ]);
    expect(configArgs({ mode: 'threads', concurrency: 16, workers: 2, hashPool: 'none' })).toEqual([
      '-j',
      '16',
      '--mode',
      'threads',
      '-w',
      '2',
    ]);
    expect(configArgs({ mode: 'async', concurrency: 8, workers: 2, hashPool: 'threads', split: 4 })).toEqual([
      '-j',
      '8',
      '-x',
      '4',
      '--hash',
      'sha256',
      '--hash-pool',
      'threads',
      '-w',
      '2',
    ]);
  });

  it('takes the digest algorithm (the harness HASH knob); inline hashing in async mode needs no -w', () => {
    const c = { mode: 'async', concurrency: 16, workers: 1, hashPool: 'inline' } as const;
    expect(configArgs(c, 'sha3-512')).toEqual(['-j', '16', '--hash', 'sha3-512', '--hash-pool', 'inline']);
    expect(configFlags({ ...c, key: configKey(c) })).toBe('-j 16 --hash sha256 --hash-pool inline');
  });
});
