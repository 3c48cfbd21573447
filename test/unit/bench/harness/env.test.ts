import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EnvError, EnvReader } from '../../../../bench/lib/env.js';

const read = (env: Record<string, string>) => new EnvReader(env);

/** The error a reader call throws: an EnvError naming the variable, on one line. */
function errorOf(f: () => unknown): EnvError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(EnvError);
    expect((err as Error).message).not.toContain('\n');
    return err as EnvError;
  }
  throw new Error('no error');
}

describe('EnvReader', () => {
  it('whole numbers: the default when unset or empty, the value when valid', () => {
    expect(read({}).int('RUNS', 5)).toBe(5);
    expect(read({ RUNS: '' }).int('RUNS', 5)).toBe(5);
    expect(read({ RUNS: '0' }).int('RUNS', 5)).toBe(0);
    expect(read({ RUNS: ' 12 ' }).int('RUNS', 5)).toBe(12);
    expect(read({}).optionalInt('W')).toBeUndefined();
    expect(read({ W: '3' }).optionalInt('W', { min: 1 })).toBe(3);
  });

  it('whole numbers: abc, 1.5, -1, 1e3, a value out of range name the variable (no NaN gets through)', () => {
    expect(errorOf(() => read({ RUNS: 'abc' }).int('RUNS', 5)).message).toBe(
      "RUNS must be a whole number >= 0, got 'abc'",
    );
    for (const bad of ['1.5', '-1', '1e3', '0x10', 'NaN']) {
      expect(errorOf(() => read({ RUNS: bad }).int('RUNS', 5)).variable).toBe('RUNS');
    }
    expect(errorOf(() => read({ N: '0' }).int('N', 5, { min: 1 })).message).toBe(
      "N must be a whole number >= 1, got '0'",
    );
    expect(errorOf(() => read({ XS: '1,99' }).ints('XS', [1], { min: 1, max: 64 })).message).toBe(
      "XS must be a whole number from 1 to 64, got '1,99'",
    );
  });

  it('lists: comma or space separated, duplicates dropped; unknown names and empty lists refused', () => {
    const known = ['small', 'big', 'latency'] as const;
    expect(read({}).list('WORKLOADS', ['small'], known)).toEqual(['small']);
    expect(read({ WORKLOADS: 'big, small big' }).list('WORKLOADS', ['small'], known)).toEqual([
      'big',
      'small',
    ]);
    expect(errorOf(() => read({ WORKLOADS: 'small,huge' }).list('WORKLOADS', [], known)).message).toBe(
      "WORKLOADS has an unknown 'huge' (known: small, big, latency)",
    );
    expect(errorOf(() => read({ WORKLOADS: ' , ' }).list('WORKLOADS', [], known)).message).toBe(
      'WORKLOADS is empty',
    );
    expect(read({ WORKERS: '4,1,4' }).ints('WORKERS', [1], { min: 1 })).toEqual([4, 1]);
  });

  it('one of, flags, sizes and paths', () => {
    const servers = ['auto', 'nginx'] as const;
    expect(read({}).oneOf('SERVER', 'auto', servers)).toBe('auto');
    expect(errorOf(() => read({ SERVER: 'apache' }).oneOf('SERVER', 'auto', servers)).message).toBe(
      "SERVER must be one of auto, nginx, got 'apache'",
    );
    expect(read({ KEEP: '1' }).flag('KEEP', false)).toBe(true);
    expect(read({ ARIA2: '0' }).flag('ARIA2', true)).toBe(false);
    expect(errorOf(() => read({ KEEP: 'maybe' }).flag('KEEP', false)).variable).toBe('KEEP');
    expect(read({}).size('SIZE', '16K')).toEqual({ text: '16K', bytes: 16384 });
    expect(read({ SIZE: '2M' }).size('SIZE', '16K').bytes).toBe(2 * 1024 * 1024);
    expect(errorOf(() => read({ SIZE: '12Q' }).size('SIZE', '16K')).message).toBe(
      "SIZE must be a size like 16K, 64M or 1G, got '12Q'",
    );
    expect(read({ RESULTS: 'x/y.json' }).path('RESULTS', 'd.json', '/repo')).toBe(
      path.resolve('/repo/x/y.json'),
    );
    expect(read({}).path('RESULTS', 'd.json', '/repo')).toBe(path.resolve('/repo/d.json'));
    expect(read({}).path('BASELINE_BIN', undefined, '/repo')).toBeUndefined();
  });
});
