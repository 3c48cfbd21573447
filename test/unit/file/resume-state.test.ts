import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UnsafeNameError } from '../../../src/errors.js';
import { metaPathOf, readResumeState, writeResumeState } from '../../../src/file/resume-state.js';
import { tmpDir } from '../../helpers/tmp.js';

describe('resume state beside a .part', () => {
  it('reads back what was written: URL, validator, total and segment positions', async () => {
    const part = path.join(await tmpDir(), 'f.bin.part');
    const state = {
      url: 'http://h/f.bin',
      validator: '"v1"',
      total: 100,
      segments: [
        { start: 0, pos: 10, end: 50 },
        { start: 50, pos: 60, end: 100 },
      ],
    };
    writeResumeState(part, state);
    expect(readResumeState(part)).toEqual(state);
    expect(metaPathOf(part)).toBe(`${part}.meta`);
  });

  it('keeps the mirror the bytes came from, and reads a state without one as from its URL', async () => {
    const part = path.join(await tmpDir(), 'f.bin.part');
    const state = { url: 'http://h/f.bin', from: 'http://m/f.bin', validator: '"v1"', total: 100 };
    writeResumeState(part, state);
    expect(readResumeState(part)).toEqual(state);
    await fs.writeFile(metaPathOf(part), JSON.stringify({ v: 1, url: 'http://h/f.bin', validator: '"v1"' }));
    expect(readResumeState(part)?.from).toBeUndefined();
  });

  it('no state, or one that cannot be trusted, is no resume at all (undefined), never a guess', async () => {
    const dir = await tmpDir();
    const part = path.join(dir, 'f.bin.part');
    expect(readResumeState(part)).toBeUndefined();
    const bad = [
      'not json',
      JSON.stringify({ v: 2, url: 'u', validator: 'x' }),
      JSON.stringify({ v: 1, url: 'u', validator: '' }),
      JSON.stringify({ v: 1, validator: 'x' }),
      // A segment past the total, and one whose position is before its start.
      JSON.stringify({ v: 1, url: 'u', validator: 'x', total: 10, segments: [[0, 5, 20]] }),
      JSON.stringify({ v: 1, url: 'u', validator: 'x', total: 10, segments: [[5, 4, 10]] }),
    ];
    for (const text of bad) {
      await fs.writeFile(metaPathOf(part), text);
      expect(readResumeState(part), text).toBeUndefined();
    }
  });

  it('a symbolic link or a FIFO where the state should be throws UnsafeNameError (a FIFO would block for ever)', async () => {
    const dir = await tmpDir();
    const part = path.join(dir, 'f.bin.part');
    await fs.symlink('/etc/passwd', metaPathOf(part));
    expect(() => readResumeState(part)).toThrow(UnsafeNameError);
    const part2 = path.join(dir, 'g.bin.part');
    const { execFileSync } = await import('node:child_process');
    execFileSync('mkfifo', [metaPathOf(part2)]);
    expect(() => readResumeState(part2)).toThrow(UnsafeNameError);
  });
});
