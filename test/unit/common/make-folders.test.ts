import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeFolders } from '../../../src/common/make-folders.js';
import { tmpDir } from '../../helpers/tmp.js';

describe('makeFolders (mkdir -p, one level at a time)', () => {
  it('makes what is missing and returns the first folder it made, as recursive mkdir does', async () => {
    const dir = await tmpDir();
    expect(makeFolders(path.join(dir, 'a', 'b'))).toBe(path.join(dir, 'a'));
    expect((await fs.stat(path.join(dir, 'a', 'b'))).isDirectory()).toBe(true);
    expect(makeFolders(path.join(dir, 'a', 'b'))).toBeUndefined();
  });

  it('follows a link to a folder the user made, and stops at a file or a dangling link in the way', async () => {
    const dir = await tmpDir();
    await fs.mkdir(path.join(dir, 'real'));
    await fs.symlink(path.join(dir, 'real'), path.join(dir, 'link'));
    makeFolders(path.join(dir, 'link', 'x'));
    expect((await fs.stat(path.join(dir, 'real', 'x'))).isDirectory()).toBe(true);
    await fs.writeFile(path.join(dir, 'file'), '');
    expect(() => makeFolders(path.join(dir, 'file', 'x'))).toThrow(
      /^cannot create directory '.*\/file\/x': Not a directory$/,
    );
    await fs.symlink(path.join(dir, 'nowhere'), path.join(dir, 'dangling'));
    expect(() => makeFolders(path.join(dir, 'dangling', 'x'))).toThrow(
      /^cannot create directory '.*\/dangling': No such file or directory$/,
    );
  });

  it('fails at once where recursive mkdir spins (/proc/x), naming the folder it could not make', () => {
    expect(() => makeFolders('/proc/nodir/deeper')).toThrow(
      /^cannot create directory '\/proc\/nodir': No such file or directory$/,
    );
  });
});
