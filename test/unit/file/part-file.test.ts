import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Site } from '../../../src/file/dirs.js';
import { PartFile } from '../../../src/file/part-file.js';
import { TEMP_STALE_MS, wholeTempOf } from '../../../src/file/part-ops.js';
import { tmpDir } from '../../helpers/tmp.js';

const URL_SHOWN = 'http://127.0.0.1/a.bin';

/**
 * A PartFile for `NAME` in a fresh folder (the site by plain paths: DirMaker's pinning is tested on its own),
 * holding its lock as a download does before it touches the `.part`.
 */
async function partIn(
  name = 'a.bin',
  locked = true,
): Promise<{ part: PartFile; final: string; dir: string; released: () => number }> {
  const dir = await tmpDir();
  const final = path.join(dir, name);
  let releases = 0;
  const site: Site = { final, part: `${final}.part`, release: () => releases++ };
  const part = new PartFile(URL_SHOWN);
  part.site = site;
  if (locked) part.lock();
  return { part, final, dir, released: () => releases };
}

const meta = (final: string) => `${final}.part.meta`;
/** The folder's files but the lock and its owner file (tested in part-lock.test.ts). */
const ls = (dir: string) =>
  fs
    .readdirSync(dir)
    .filter((f) => !f.endsWith('.lock') && !f.startsWith('.dlpool-lock-'))
    .sort();

describe('PartFile', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('streams a new body with its resume state beside it, and drops the state before the rename', async () => {
    const { part, final, dir } = await partIn();
    part.validator = '"v1"';
    part.total = 5;
    const ws = await part.open(0, 1024);
    expect(ls(dir)).toEqual(['a.bin.part', 'a.bin.part.meta']);
    await new Promise<void>((resolve, reject) =>
      ws.end(Buffer.from('hello'), (e?: Error | null) => (e ? reject(e) : resolve())),
    );
    await part.finish(5);
    expect(ls(dir)).toEqual(['a.bin']);
    expect(fs.readFileSync(final, 'utf8')).toBe('hello');
  });

  it('keeps no state without a validator, and removes one an earlier attempt wrote', async () => {
    const { part, dir } = await partIn();
    part.validator = '"v1"';
    part.keepState();
    expect(ls(dir)).toEqual(['a.bin.part.meta']);
    part.validator = undefined; // the next answer had none
    (await part.open(0, 1024)).destroy();
    expect(ls(dir)).toEqual(['a.bin.part']);
  });

  it('takes over a .part of an earlier run only when its state names the same URL', async () => {
    const same = await partIn();
    same.part.validator = '"v1"';
    same.part.total = 10;
    same.part.keepState();
    same.part.writeSync([Buffer.from('12345')]);
    same.part.release();
    const again = new PartFile(URL_SHOWN);
    again.site = same.part.site;
    again.lock();
    await again.resumeFromEarlierRun();
    expect([again.offset, again.validator, again.total, again.held()]).toEqual([5, '"v1"', 10, 5]);

    again.release();
    const other = new PartFile('http://127.0.0.1/other.bin');
    other.site = same.part.site;
    other.lock();
    await other.resumeFromEarlierRun();
    expect([other.offset, other.validator]).toEqual([0, undefined]);
    // Not its own, but it knows the state is there: dropping the .part takes the state with it.
    await other.drop();
    expect(ls(same.dir)).toEqual([]);
  });

  it('measures what reached the disk as the resume point; drop forgets it', async () => {
    const { part, dir } = await partIn();
    part.writeSync([Buffer.from('abc'), Buffer.from('def')]);
    await part.measure();
    expect(part.offset).toBe(6);
    await part.drop();
    expect([part.offset, ls(dir)]).toEqual([0, []]);
  });

  it('plans, sizes and saves a segmented .part before any byte, and continues the saved plan', async () => {
    const { part, final } = await partIn();
    part.validator = '"v1"';
    part.total = 10;
    const fh = await part.openSegments(3);
    await fh.close();
    expect(fs.statSync(`${final}.part`).size).toBe(10);
    expect(part.segments).toEqual([
      { start: 0, pos: 0, end: 4 },
      { start: 4, pos: 4, end: 7 },
      { start: 7, pos: 7, end: 10 },
    ]);
    part.segments![1]!.pos = 6;
    part.saveSegments();

    part.release();
    const later = new PartFile(URL_SHOWN);
    later.site = part.site;
    later.lock();
    await later.resumeFromEarlierRun();
    expect(later.segments?.[1]).toEqual({ start: 4, pos: 6, end: 7 });
    expect(later.held()).toBe(2);
    await (await later.openSegments()).close(); // continued as it is: not emptied
    expect(fs.statSync(`${final}.part`).size).toBe(10);
  });

  it('a segmented .part without a validator has no state: a stale one from a streamed attempt goes', async () => {
    const { part, final } = await partIn();
    part.validator = '"v1"';
    part.keepState();
    part.validator = undefined;
    part.total = 4;
    await (await part.openSegments(2)).close();
    expect(fs.existsSync(meta(final))).toBe(false);
  });

  it('writes a whole small body straight to its final name, and moves to another site', async () => {
    const { part, final, dir, released } = await partIn();
    part.validator = '"v1"';
    part.keepState();
    part.finishWholeSync([Buffer.from('small')]);
    expect(ls(dir)).toEqual(['a.bin']);
    expect(fs.readFileSync(final, 'utf8')).toBe('small');
    part.moveTo({ final: path.join(dir, 'b.bin'), part: path.join(dir, 'b.bin.part'), release: () => {} });
    expect(released()).toBe(1);
    expect(part.path).toBe(path.join(dir, 'b.bin.part'));
  });

  it('without a lock writes a whole body under its private name and renames it: no .part, no lock', async () => {
    const { part, final, dir } = await partIn('a.bin', false);
    const seen: string[][] = [];
    const rename = fs.renameSync;
    vi.spyOn(fs, 'renameSync').mockImplementation((from, to) => {
      seen.push(fs.readdirSync(dir).sort());
      rename(from, to);
    });
    part.finishWholeSync([Buffer.from('sm'), Buffer.from('all')]);
    // Just before the rename the folder held the private file only; after it, the final name only.
    const temp = path.basename(wholeTempOf(final));
    expect(temp).toMatch(/^\.dlpool-part-[0-9a-f]{16}$/);
    expect(seen).toEqual([[temp]]);
    expect(fs.readdirSync(dir)).toEqual(['a.bin']);
    expect(fs.readFileSync(final, 'utf8')).toBe('small');
    expect(part.locked).toBe(false);
  });

  it('without a lock, a private name that is taken or goes before the rename: the .part under the lock', async () => {
    // Taken: another run writing the same name this instant (or one killed here). Its file is not touched.
    const { part, final, dir } = await partIn('a.bin', false);
    const temp = wholeTempOf(final);
    fs.writeFileSync(temp, 'theirs');
    part.finishWholeSync([Buffer.from('mine')]);
    expect(fs.readFileSync(final, 'utf8')).toBe('mine');
    expect(fs.readFileSync(temp, 'utf8')).toBe('theirs');
    expect(part.locked).toBe(true);
    part.release();
    expect(ls(dir)).toEqual(['a.bin', path.basename(temp)].sort());
    // Gone at the rename: removed by a run holding the name's lock (see removeStaleTemp).
    const second = await partIn('b.bin', false);
    const rename = fs.renameSync;
    vi.spyOn(fs, 'renameSync').mockImplementationOnce((from) => {
      fs.unlinkSync(from);
      rename(from, second.final);
    });
    second.part.finishWholeSync([Buffer.from('mine')]);
    expect(fs.readFileSync(second.final, 'utf8')).toBe('mine');
    second.part.release();
    expect(ls(second.dir)).toEqual(['b.bin']);
  });

  it('without a lock, never writes through a link, FIFO or folder planted at its private name', async () => {
    const { part, final, dir } = await partIn('a.bin', false);
    const temp = wholeTempOf(final);
    const target = path.join(dir, 'target');
    fs.writeFileSync(target, 'theirs');
    fs.symlinkSync(target, temp);
    part.finishWholeSync([Buffer.from('mine')]);
    expect([fs.readFileSync(final, 'utf8'), fs.readFileSync(target, 'utf8')]).toEqual(['mine', 'theirs']);
    expect(fs.lstatSync(temp).isSymbolicLink()).toBe(true);
    part.release();
    for (const plant of [(p: string) => fs.mkdirSync(p), (p: string) => execFileSync('mkfifo', [p])]) {
      const other = await partIn('b.bin', false);
      plant(wholeTempOf(other.final));
      other.part.finishWholeSync([Buffer.from('mine')]);
      expect(fs.readFileSync(other.final, 'utf8')).toBe('mine');
      other.part.release();
    }
  });

  it('without a lock, a failed write leaves neither the private file nor a .part', async () => {
    const { part, final, dir } = await partIn('a.bin', false);
    vi.spyOn(fs, 'writevSync').mockImplementationOnce(() => {
      throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC', errno: -28 });
    });
    expect(() => part.finishWholeSync([Buffer.from('small')])).toThrow(
      expect.objectContaining({
        code: 'ERR_DL_FILE',
        errno: 'ENOSPC',
        message: expect.stringContaining(final),
      }),
    );
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('a private file a killed run left goes with the next take-over of that name, once ten seconds old', async () => {
    const { part, final, dir } = await partIn();
    const temp = wholeTempOf(final);
    fs.writeFileSync(temp, 'half');
    await part.resumeFromEarlierRun();
    // Young: perhaps another run's, being written now.
    expect(fs.existsSync(temp)).toBe(true);
    const now = Date.now();
    vi.spyOn(Date, 'now').mockReturnValue(now + TEMP_STALE_MS + 1000);
    await part.resumeFromEarlierRun();
    expect(fs.existsSync(temp)).toBe(false);
    // Only a regular file of that name: a folder there is not dlpool's to remove.
    fs.mkdirSync(temp);
    await part.resumeFromEarlierRun();
    expect(fs.statSync(temp).isDirectory()).toBe(true);
    part.release();
    expect(ls(dir)).toEqual([path.basename(temp)]);
  });

  it('renames only the file it wrote, with the bytes it counted: not one replaced, cut or removed', async () => {
    const write = async (part: PartFile, text: string) => {
      const ws = await part.open(0, 1024);
      await new Promise<void>((resolve, reject) =>
        ws.end(Buffer.from(text), (e?: Error | null) => (e ? reject(e) : resolve())),
      );
    };
    const tamper = [
      (p: string) => {
        fs.writeFileSync(`${p}.other`, 'hello');
        fs.renameSync(`${p}.other`, p);
      },
      (p: string) => fs.truncateSync(p, 2),
      (p: string) => fs.unlinkSync(p),
    ];
    for (const change of tamper) {
      const { part, final, dir } = await partIn();
      await write(part, 'hello');
      change(part.path);
      await expect(part.finish(5)).rejects.toMatchObject({ code: 'ERR_DL_BUSY' });
      expect(fs.existsSync(final)).toBe(false);
      await part.drop();
      expect(ls(dir)).toEqual([]);
    }
    // The size counted is the size checked: a body that ended short of it is not renamed either.
    const { part, final } = await partIn();
    await write(part, 'hello');
    await expect(part.finish(6)).rejects.toThrow('holds 5 bytes, not the 6 received while dlpool wrote it');
    expect(fs.existsSync(final)).toBe(false);
  });

  it('without its lock it neither measures nor drops a .part (another run is writing it)', async () => {
    const { part, dir } = await partIn();
    part.writeSync([Buffer.from('theirs')]);
    part.release();
    const other = new PartFile(URL_SHOWN);
    other.site = part.site;
    part.lock();
    expect(() => other.lock()).toThrow(/being written by another dlpool run/);
    await other.measure();
    await other.drop();
    expect([other.offset, ls(dir)]).toEqual([0, ['a.bin.part']]);
    part.release();
  });
});
