import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UnsafeNameError } from '../../../src/errors.js';
import { DirMaker } from '../../../src/file/dirs.js';
import { tmpDir } from '../../helpers/tmp.js';

// DirMaker lets the download skip its per-file existence and resume checks only where nothing can be yet:
// a wrong "empty" would overwrite a finished file or drop a resumable .part, so each case is pinned here.
describe('DirMaker.mayExist', () => {
  it('an output directory that is empty at the start holds nothing from before the run, below it neither', async () => {
    const root = await tmpDir();
    const dirs = new DirMaker(root);
    dirs.open();
    expect(dirs.rootWasEmpty).toBe(true);
    expect(dirs.mayExist('a.bin')).toBe(false);
    expect(dirs.mayExist('sub/b.bin')).toBe(false);
    dirs.close();
  });

  it('an output directory that does not exist yet is made, and is empty', async () => {
    const root = path.join(await tmpDir(), 'new', 'out');
    const dirs = new DirMaker(root);
    dirs.open();
    expect(dirs.rootWasEmpty).toBe(true);
    expect(dirs.mayExist('a.bin')).toBe(false);
    dirs.close();
  });

  it('with anything in the root (even only a folder), names may exist, except in folders this run made', async () => {
    const root = await tmpDir();
    await fs.mkdir(path.join(root, 'old'));
    await fs.writeFile(path.join(root, 'old', 'a.bin'), 'x');
    const dirs = new DirMaker(root);
    dirs.open();
    expect(dirs.rootWasEmpty).toBe(false);
    expect(dirs.mayExist('a.bin')).toBe(true);
    expect(dirs.mayExist('old/a.bin')).toBe(true);
    expect(dirs.mayExist('new/c.bin')).toBe(true); // not made yet: unknown
    dirs.site('old/a.bin', true)!.release();
    dirs.site('new/deeper/d.bin', true)!.release();
    expect(dirs.mayExist('old/a.bin')).toBe(true);
    expect(dirs.mayExist('new/c.bin')).toBe(false);
    expect(dirs.mayExist('new/deeper/d.bin')).toBe(false);
    dirs.close();
  });

  it('a worker told that the root was empty trusts it, though sibling workers have written there since', async () => {
    const root = await tmpDir();
    await fs.writeFile(path.join(root, 'written-by-a-sibling.bin'), 'x');
    const dirs = new DirMaker(root, true);
    dirs.open();
    expect(dirs.mayExist('mine.bin')).toBe(false);
    dirs.close();
  });
});

describe('DirMaker.site', () => {
  it('a missing folder is not made by a lookup, and holds nothing', async () => {
    const root = await tmpDir();
    const dirs = new DirMaker(root);
    dirs.open();
    expect(dirs.site('sub/a.bin', false)).toBeUndefined();
    await expect(fs.stat(path.join(root, 'sub'))).rejects.toThrow(/ENOENT/);
    dirs.close();
  });

  it('refuses a symbolic link at any folder below the root, and a file where a folder should be', async () => {
    const root = await tmpDir();
    const outside = await tmpDir();
    await fs.mkdir(path.join(root, 'a'));
    await fs.symlink(outside, path.join(root, 'a', 'link'));
    await fs.writeFile(path.join(root, 'file'), 'x');
    const dirs = new DirMaker(root);
    dirs.open();
    expect(() => dirs.site('a/link/x.bin', true)).toThrow(UnsafeNameError);
    expect(() => dirs.site('a/link/x.bin', false)).toThrow(/symbolic link/);
    expect(() => dirs.site('file/x.bin', true)).toThrow(/: Not a directory$/);
    expect(await fs.readdir(outside)).toEqual([]);
    dirs.close();
  });

  it('keeps writing into the folder it pinned when that folder is swapped for a link mid-run', async () => {
    const root = await tmpDir();
    const outside = await tmpDir();
    const dirs = new DirMaker(root);
    dirs.open();
    const site = dirs.site('sub/a.bin', true)!;
    // The swap an attacker who may rename inside --dir can make between two downloads' file operations.
    await fs.rename(path.join(root, 'sub'), path.join(root, 'sub.real'));
    await fs.symlink(outside, path.join(root, 'sub'));
    await fs.writeFile(site.part, 'data');
    await fs.rename(site.part, site.final);
    site.release();
    expect(await fs.readFile(path.join(root, 'sub.real', 'a.bin'), 'utf8')).toBe('data');
    expect(await fs.readdir(outside)).toEqual([]);
    // A download that starts after the swap meets the link and is refused.
    dirs.close();
    const later = new DirMaker(root);
    later.open();
    expect(() => later.site('sub/b.bin', true)).toThrow(/symbolic link/);
    later.close();
    expect(await fs.readdir(outside)).toEqual([]);
  });
});
