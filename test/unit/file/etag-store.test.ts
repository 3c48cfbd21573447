import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DirMaker } from '../../../src/file/dirs.js';
import { keepEtag, readKeptEtag } from '../../../src/store/etag-store.js';
import { tmpDir } from '../../helpers/tmp.js';

async function setup() {
  const dir = await tmpDir();
  const dirs = new DirMaker(dir);
  dirs.open();
  const file = path.join(dir, 'a.bin');
  fs.writeFileSync(file, 'hello');
  return { dir, dirs, file };
}

const FROM = 'http://127.0.0.1/a.bin';

describe('the ETags -N keeps', () => {
  it('are read back while the file is the one they were kept for', async () => {
    const { dirs, file } = await setup();
    keepEtag(dirs, 'a.bin', file, { etag: '"v1"', from: FROM });
    expect(readKeptEtag(dirs, 'a.bin', fs.lstatSync(file))).toEqual({ etag: '"v1"', from: FROM });
    // Another name's record is not this one's.
    expect(readKeptEtag(dirs, 'b.bin', fs.lstatSync(file))).toBeUndefined();
  });

  it('say nothing once the file changed: its size, its time or the file itself', async () => {
    const { dirs, file } = await setup();
    keepEtag(dirs, 'a.bin', file, { etag: '"v1"', from: FROM });
    const st = fs.lstatSync(file);
    expect(readKeptEtag(dirs, 'a.bin', { ...st, size: st.size + 1 } as fs.Stats)).toBeUndefined();
    expect(readKeptEtag(dirs, 'a.bin', { ...st, mtimeMs: st.mtimeMs + 1 } as fs.Stats)).toBeUndefined();
    expect(readKeptEtag(dirs, 'a.bin', { ...st, ino: st.ino + 1 } as fs.Stats)).toBeUndefined();
  });

  it('keep only what a header can carry back, and an answer without one removes the record', async () => {
    const { dir, dirs, file } = await setup();
    keepEtag(dirs, 'a.bin', file, { etag: '"v1"\r\nX-Evil: 1', from: FROM });
    expect(readKeptEtag(dirs, 'a.bin', fs.lstatSync(file))).toBeUndefined();
    keepEtag(dirs, 'a.bin', file, { etag: 'W/"weak"', from: FROM });
    expect(readKeptEtag(dirs, 'a.bin', fs.lstatSync(file))?.etag).toBe('W/"weak"');
    keepEtag(dirs, 'a.bin', file, undefined);
    expect(readKeptEtag(dirs, 'a.bin', fs.lstatSync(file))).toBeUndefined();
    expect(fs.readdirSync(path.join(dir, '.dlpool', 'etags'))).toEqual([]);
  });

  it('a record that is not one (garbage, a folder, a link) is no ETag, not an error', async () => {
    const { dir, dirs, file } = await setup();
    keepEtag(dirs, 'a.bin', file, { etag: '"v1"', from: FROM });
    const [name] = fs.readdirSync(path.join(dir, '.dlpool', 'etags'));
    const record = path.join(dir, '.dlpool', 'etags', name!);
    fs.writeFileSync(record, '{not json');
    expect(readKeptEtag(dirs, 'a.bin', fs.lstatSync(file))).toBeUndefined();
    fs.rmSync(record);
    fs.mkdirSync(record);
    expect(readKeptEtag(dirs, 'a.bin', fs.lstatSync(file))).toBeUndefined();
    fs.rmdirSync(record);
    fs.symlinkSync('/etc/hostname', record);
    expect(readKeptEtag(dirs, 'a.bin', fs.lstatSync(file))).toBeUndefined();
  });
});
