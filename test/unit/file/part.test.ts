import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeStaleTemp, writePartSync } from '../../../src/file/part-ops.js';
import { createSync } from '../../../src/file/regular-open.js';
import { tmpDir } from '../../helpers/tmp.js';

function written(p: string, text: string): void {
  const fd = createSync(p);
  try {
    fs.writeSync(fd, text);
  } finally {
    fs.closeSync(fd);
  }
}

describe('createSync', () => {
  it('creates a new regular file, and empties one that is there (a .part of an earlier run)', async () => {
    const dir = await tmpDir();
    const p = path.join(dir, 'a.part');
    written(p, 'first, longer');
    expect(fs.readFileSync(p, 'utf8')).toBe('first, longer');
    written(p, 'second');
    expect(fs.readFileSync(p, 'utf8')).toBe('second');
  });

  it('refuses a symbolic link and a FIFO, and leaves both (and the link target) as they were', async () => {
    const dir = await tmpDir();
    const target = path.join(dir, 'target');
    fs.writeFileSync(target, 'keep');
    fs.symlinkSync(target, path.join(dir, 'link.part'));
    expect(() => createSync(path.join(dir, 'link.part'))).toThrow(
      expect.objectContaining({ code: 'ERR_DL_UNSAFE_NAME' }),
    );
    expect(fs.readFileSync(target, 'utf8')).toBe('keep');
    // A dangling link: O_EXCL does not create its target either.
    fs.symlinkSync(path.join(dir, 'nowhere'), path.join(dir, 'dangling.part'));
    expect(() => writePartSync(path.join(dir, 'dangling.part'), [Buffer.from('x')])).toThrow(
      expect.objectContaining({ code: 'ERR_DL_UNSAFE_NAME' }),
    );
    expect(fs.existsSync(path.join(dir, 'nowhere'))).toBe(false);
    const fifo = path.join(dir, 'fifo.part');
    execFileSync('mkfifo', [fifo]);
    expect(() => createSync(fifo)).toThrow(expect.objectContaining({ code: 'ERR_DL_UNSAFE_NAME' }));
    expect(fs.lstatSync(fifo).isFIFO()).toBe(true);
  });
});

describe('removeStaleTemp', () => {
  it('never fails a download: what it cannot look at is left as it is', async () => {
    const dir = await tmpDir();
    const file = path.join(dir, 'f');
    fs.writeFileSync(file, 'x');
    // Under a regular file: lstat fails with ENOTDIR, not ENOENT.
    expect(() => removeStaleTemp(path.join(file, '.dlpool-part-0123456789abcdef'))).not.toThrow();
    expect(fs.readFileSync(file, 'utf8')).toBe('x');
  });
});
