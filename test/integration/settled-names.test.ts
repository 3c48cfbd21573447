import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { download } from '../../src/index.js';
import type { ListEntry } from '../../src/sources/types.js';
import { startServer, type TestServer } from '../helpers/http.js';
import { engine, FAST_RETRY, listFiles, MODES, tmpDir } from '../helpers/tmp.js';

/** The body of every URL: its path repeated to `?size=` bytes. */
function bodyFor(url: string): Buffer {
  const u = new URL(url, 'http://x');
  return Buffer.alloc(Number(u.searchParams.get('size') ?? 64), `${u.pathname}|`);
}

let server: TestServer;
beforeAll(async () => {
  // Whole files and byte ranges, with a strong ETag (what a segmented .part is resumed against).
  server = await startServer((req, res) => {
    const body = bodyFor(req.url ?? '/');
    const etag = `"${body.length}"`;
    const range = /^bytes=(\d+)-(\d*)$/.exec(String(req.headers.range ?? ''));
    const ifRange = req.headers['if-range'];
    if (range && (ifRange === undefined || ifRange === etag)) {
      const start = Number(range[1]);
      const end = range[2] ? Math.min(Number(range[2]), body.length - 1) : body.length - 1;
      res
        .writeHead(206, {
          'content-length': end - start + 1,
          'content-range': `bytes ${start}-${end}/${body.length}`,
          etag,
          'accept-ranges': 'bytes',
        })
        .end(body.subarray(start, end + 1));
      return;
    }
    res.writeHead(200, { 'content-length': body.length, etag, 'accept-ranges': 'bytes' }).end(body);
  });
});
afterAll(() => server.close());

const unsafe = (r: { status: string; error?: { code: string } | undefined }) => [r.status, r.error?.code];

describe.each(MODES)('%s mode', (mode) => {
  it('shard.names pass the name rules and the inside---dir check: ESC/BEL, CON, ../ and absolute fail their line', async () => {
    const base = await tmpDir();
    const out = path.join(base, 'out');
    await fs.mkdir(out);
    // The folder is not empty, so a file already there is looked for (the check a name outside must not reach).
    await fs.writeFile(path.join(out, 'earlier.txt'), 'earlier');
    const outside = path.join(base, 'outside.txt');
    await fs.writeFile(outside, bodyFor('/f/c.bin'));
    const u = server.url;
    const list = path.join(base, 'list.txt');
    const lines = ['a.bin', 'b.bin', 'c.bin', 'd.bin', 'e.bin', 'f.bin'].map((n) => `${u}/f/${n}`);
    await fs.writeFile(list, `${lines.join('\n')}\n`);
    const manifest = path.join(base, 'manifest.txt');
    const summary = await download({
      ...engine(mode),
      sources: [list],
      dir: out,
      manifest,
      retry: FAST_RETRY,
      shardSize: 10,
      shard: {
        index: 0,
        count: 1,
        start: { offset: 0, line: 1 },
        names: {
          1: 'esc\x1b[31mbel\x07.bin',
          2: 'CON',
          3: '../outside.txt',
          4: path.join(base, 'abs.bin'),
          5: 'sub\\..\\..\\win.bin',
          6: 'sub/f.1.bin',
        },
      },
    });
    const byLine = new Map(summary.results.map((r) => [r.line, r]));
    for (const line of [1, 2, 3, 4, 5]) {
      const r = byLine.get(line)!;
      expect(unsafe(r), `line ${line}`).toEqual(['failed', 'ERR_DL_UNSAFE_NAME']);
      expect(r.error?.message).toMatch(new RegExp(`^${list}:${line}: `));
      expect(r.digest).toBeUndefined();
      expect(r.bytes).toBe(0);
    }
    // The other entry goes on, under its settled name.
    expect(unsafe(byLine.get(6)!)).toEqual(['downloaded', undefined]);
    expect(summary.skipped).toBe(0);
    // Nothing outside --dir was touched or reported; no raw control character reached a name.
    expect((await listFiles(base)).filter((f) => !f.startsWith('out/')).sort()).toEqual([
      'list.txt',
      'manifest.txt',
      'outside.txt',
    ]);
    expect((await listFiles(out)).filter((f) => !f.startsWith('.dlpool/'))).toEqual([
      'earlier.txt',
      'sub/f.1.bin',
    ]);
    const lines0 = (await fs.readFile(manifest, 'utf8')).trim().split('\n');
    expect(lines0).toHaveLength(1);
    expect(lines0[0]).toMatch(/ {2}sub\/f\.1\.bin$/);
  });

  it('library entries with a settledName outside --dir neither skip nor hash a file there', async () => {
    const base = await tmpDir();
    const out = path.join(base, 'out');
    await fs.mkdir(out);
    await fs.writeFile(path.join(out, 'earlier.txt'), 'earlier');
    const outside = path.join(base, 'outside.txt');
    await fs.writeFile(outside, 'secret');
    const entry = (line: number, settledName: string): ListEntry => ({
      kind: 'entry',
      url: `${server.url}/f/x${line}.bin`,
      source: 'entries',
      line,
      options: {},
      settledName,
    });
    const summary = await download({
      ...engine(mode),
      entries: [entry(1, '../outside.txt'), entry(2, 'ok.bin')],
      dir: out,
      hash: 'sha256',
      retry: FAST_RETRY,
    });
    const [bad, good] = [1, 2].map((l) => summary.results.find((r) => r.line === l)!);
    expect(unsafe(bad!)).toEqual(['failed', 'ERR_DL_UNSAFE_NAME']);
    expect(bad!.error?.message).toMatch(/^entries:1: /);
    expect(bad!.digest).toBeUndefined();
    expect(unsafe(good!)).toEqual(['downloaded', undefined]);
    expect(await fs.readFile(outside, 'utf8')).toBe('secret');
  });

  /**
   * A segmented `.part` (and its state) in a folder beside --dir, for the URL the entry names: what an earlier
   * run in that folder would have left. The test checks it is still byte for byte the same after the run.
   */
  async function siblingPart(base: string, url: string, total: number) {
    const other = path.join(base, 'other');
    await fs.mkdir(other);
    const part = path.join(other, 'f0.bin.part');
    const meta = `${part}.meta`;
    const q = total / 4;
    await fs.writeFile(part, Buffer.alloc(total, 'outside|'));
    const segments = [0, 1, 2, 3].map((i) => [i * q, i * q + 100, (i + 1) * q]);
    await fs.writeFile(meta, JSON.stringify({ v: 1, url, validator: `"${total}"`, total, segments }));
    const before = [await fs.readFile(part), await fs.readFile(meta)];
    return {
      other,
      async unchanged() {
        expect(await listFiles(other)).toEqual(['f0.bin.part', 'f0.bin.part.meta']);
        expect((await fs.readFile(part)).equals(before[0]!)).toBe(true);
        expect((await fs.readFile(meta)).equals(before[1]!)).toBe(true);
      },
    };
  }

  for (const [how, maxSize] of [
    ['shard.names', undefined],
    ['shard.names', 1000],
    ['an entry', undefined],
    ['an entry', 1000],
  ] as const) {
    it(`a name settled by ${how} in a sibling folder does not resume the .part there${maxSize ? ' (--max-size)' : ''}`, async () => {
      const base = await tmpDir();
      const out = path.join(base, 'out');
      await fs.mkdir(out);
      await fs.writeFile(path.join(out, 'earlier.txt'), 'earlier');
      const total = 64 * 1024;
      const url = `${server.url}/f/f0.bin?size=${total}`;
      const sibling = await siblingPart(base, url, total);
      const list = path.join(base, 'list.txt');
      await fs.writeFile(list, `${url}\n${server.url}/f/g.bin\n`);
      const settled = '../other/f0.bin';
      const input =
        how === 'an entry'
          ? {
              entries: [
                {
                  kind: 'entry',
                  url,
                  source: 'entries',
                  line: 1,
                  options: {},
                  settledName: settled,
                } as const,
                `${server.url}/f/g.bin`,
              ],
            }
          : {
              sources: [list],
              shardSize: 10,
              shard: { index: 0, count: 1, start: { offset: 0, line: 1 }, names: { 1: settled } },
            };
      const summary = await download({
        ...engine(mode),
        ...input,
        dir: out,
        split: 4,
        minSplitSizeBytes: 1024,
        maxSizeBytes: maxSize,
        retry: FAST_RETRY,
      });
      await sibling.unchanged();
      const r = summary.results.find((x) => x.line === 1)!;
      expect(unsafe(r)).toEqual(['failed', 'ERR_DL_UNSAFE_NAME']);
      const source = how === 'an entry' ? 'entries' : list;
      expect(r.error?.message).toMatch(new RegExp(`^${source}:1: `));
      expect(unsafe(summary.results.find((x) => x.line === 2)!)).toEqual(['downloaded', undefined]);
    });
  }
});
