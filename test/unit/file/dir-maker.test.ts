import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DirMaker } from '../../../src/file/part.js';
import { tmpDir } from '../../helpers/tmp.js';

// DirMaker lets the download skip its per-file existence and resume checks only where nothing can be yet:
// a wrong "empty" would overwrite a finished file or drop a resumable .part, so each case is pinned here.
describe('DirMaker.mayExist', () => {
  it('an output directory that is empty at the start holds nothing from before the run, below it neither', async () => {
    const root = await tmpDir();
    const dirs = new DirMaker(root);
    await dirs.ensure(root);
    expect(dirs.rootWasEmpty).toBe(true);
    expect(dirs.mayExist('a.bin')).toBe(false);
    expect(dirs.mayExist('sub/b.bin')).toBe(false);
  });

  it('an output directory that does not exist yet is made, and is empty', async () => {
    const root = path.join(await tmpDir(), 'new', 'out');
    const dirs = new DirMaker(root);
    await dirs.ensure(root);
    expect(dirs.rootWasEmpty).toBe(true);
    expect(dirs.mayExist('a.bin')).toBe(false);
  });

  it('with anything in the root (even only a folder), names may exist, except in folders this run made', async () => {
    const root = await tmpDir();
    await fs.mkdir(path.join(root, 'old'));
    await fs.writeFile(path.join(root, 'old', 'a.bin'), 'x');
    const dirs = new DirMaker(root);
    await dirs.ensure(root);
    expect(dirs.rootWasEmpty).toBe(false);
    expect(dirs.mayExist('a.bin')).toBe(true);
    expect(dirs.mayExist('old/a.bin')).toBe(true);
    expect(dirs.mayExist('new/c.bin')).toBe(true); // not made yet: unknown
    await dirs.ensure(path.join(root, 'old'));
    await dirs.ensure(path.join(root, 'new', 'deeper'));
    expect(dirs.mayExist('old/a.bin')).toBe(true);
    expect(dirs.mayExist('new/c.bin')).toBe(false);
    expect(dirs.mayExist('new/deeper/d.bin')).toBe(false);
  });

  it('a worker told that the root was empty trusts it, though sibling workers have written there since', async () => {
    const root = await tmpDir();
    await fs.writeFile(path.join(root, 'written-by-a-sibling.bin'), 'x');
    const dirs = new DirMaker(root, true);
    await dirs.ensure(root);
    expect(dirs.mayExist('mine.bin')).toBe(false);
  });
});
