import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { download } from '../../src/index.js';
import { synthBytes } from '../../src/server/synth.js';
import type { TestServer } from '../helpers/http.js';
import { engine, MODES, tmpDir } from '../helpers/tmp.js';
import { type Served, versionedServer } from '../helpers/versioned-server.js';

const KiB = 1024;
const TIMES = ['Mon, 01 Jan 2024 10:00:00 GMT', 'Tue, 02 Jan 2024 10:00:00 GMT'];

/** /cd names its file named.bin with Content-Disposition; version `v` has its own bytes and validators. */
function named(v: number, more: Partial<Served> = {}): Served {
  return {
    body: synthBytes(`named#v${v}`, 0, 8 * KiB),
    etag: `"named-v${v}"`,
    lastModified: TIMES[v - 1],
    headers: { 'content-disposition': 'attachment; filename="named.bin"' },
    ...more,
  };
}

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe.each(MODES)('-N with a name only the answer gives, --content-disposition (%s)', (mode) => {
  const run = (sources: string[], dir: string, more: Parameters<typeof download>[0] = {}) =>
    download({ ...engine(mode), sources, dir, contentDisposition: true, timestamping: true, ...more });

  it('compares the answer with the file: the same copy leaves it untouched (unchanged), a changed one replaces it', async () => {
    const files = new Map([['/cd', named(1)]]);
    server = await versionedServer(files);
    const dir = await tmpDir();
    const url = `${server.url}/cd`;
    // Downloaded without -N (no ETag kept): the answer's Last-Modified and length speak for it.
    expect((await run([url], dir, { timestamping: false })).downloaded).toBe(1);
    const file = path.join(dir, 'named.bin');
    const before = await fs.stat(file);
    const same = await run([url], dir);
    expect(same.results[0]).toMatchObject({ status: 'unchanged', path: 'named.bin', bytes: 8 * KiB });
    const after = await fs.stat(file);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    files.set('/cd', named(2));
    const changed = await run([url], dir);
    expect(changed.results[0]).toMatchObject({ status: 'downloaded', path: 'named.bin' });
    expect((await fs.readFile(file)).equals(files.get('/cd')!.body)).toBe(true);
    // That -N run kept the ETag: the same answer again is known by it, even with another Last-Modified.
    files.set('/cd', named(2, { lastModified: 'Wed, 03 Jan 2024 10:00:00 GMT' }));
    expect((await run([url], dir)).results[0]).toMatchObject({ status: 'unchanged' });
  });

  it('the same when the answer came before its turn (a temporary name first): the copy is dropped, the file kept', async () => {
    let sent!: () => void;
    const cdSent = new Promise<void>((r) => (sent = r));
    const files = new Map([
      ['/first', { ...named(1), headers: {}, body: Buffer.from('first\n') }],
      ['/cd', named(1)],
    ]);
    server = await versionedServer(files);
    const dir = await tmpDir();
    const sources = [`${server.url}/first`, `${server.url}/cd`];
    await run(sources, dir);
    const file = path.join(dir, 'named.bin');
    const before = await fs.stat(file);
    // /first answers only once /cd's whole body has arrived (its progress event; the server having sent it is not
    // enough: a busy worker may read the answer after /first's turn): /cd completes under a temporary name first.
    files.set('/first', { ...files.get('/first')!, hold: cdSent });
    const s = await run(sources, dir, {
      onEvent: (e) => {
        if (e.type === 'progress' && e.url.endsWith('/cd') && e.transferred === 8 * KiB) sent();
      },
    });
    const cd = s.results.find((r) => r.url.endsWith('/cd'))!;
    expect(cd).toMatchObject({ status: 'unchanged', path: 'named.bin', transferred: 8 * KiB });
    const after = await fs.stat(file);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    expect((await fs.readdir(dir)).filter((n) => n !== '.dlpool').sort()).toEqual(['first', 'named.bin']);
  });
});
