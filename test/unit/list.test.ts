import fs from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseList } from '../../src/sources/list.js';
import { openSources } from '../../src/sources/sources.js';
import type { SourceItem } from '../../src/sources/types.js';
import { tmpDir } from '../helpers/tmp.js';

async function all(it: AsyncIterable<SourceItem>): Promise<SourceItem[]> {
  const out: SourceItem[] = [];
  for await (const x of it) out.push(x);
  return out;
}
const parse = (text: string) => all(parseList(Readable.from([text]), 'list.txt'));
const SHA = 'a'.repeat(64);

describe('parseList', () => {
  it('reads URLs, skipping comments and blank lines, with line numbers', async () => {
    const items = await parse('# header\n\nhttp://a/1\n  \n   # indented comment\nhttps://b/2\n');
    expect(items).toEqual([
      { kind: 'entry', url: 'http://a/1', source: 'list.txt', line: 3, options: {} },
      { kind: 'entry', url: 'https://b/2', source: 'list.txt', line: 6, options: {} },
    ]);
  });

  it('applies aria2 option lines to the URL above them', async () => {
    const items = await parse(`http://a/1\n  out=x.bin\n\tdir=sub\n  checksum=sha-256=${SHA.toUpperCase()}\n  split=4\nhttp://a/2\n`);
    expect(items[0]).toMatchObject({
      url: 'http://a/1',
      out: 'x.bin',
      dir: 'sub',
      checksum: { algorithm: 'sha256', hex: SHA },
      options: { out: 'x.bin', dir: 'sub', split: '4' },
    });
    expect(items[1]).toMatchObject({ url: 'http://a/2', options: {} });
  });

  it('warns about unknown options, with file and line', async () => {
    const items = await parse('http://a/1\n  frobnicate=yes\n');
    expect(items).toContainEqual({ kind: 'warning', source: 'list.txt', line: 2, message: "unknown aria2 option 'frobnicate' ignored" });
    expect(items.filter((i) => i.kind === 'entry')).toHaveLength(1);
  });

  it('turns bad option lines into line errors', async () => {
    const items = await parse(`  out=orphan\nhttp://a/1\n  novalue\n  checksum=sha-256=xyz\n  checksum=sha-256=${'a'.repeat(10)}\n`);
    const errors = items.filter((i) => i.kind === 'error');
    expect(errors.map((e) => e.line)).toEqual([1, 3, 4, 5]);
    expect(errors[0]?.message).toMatch(/before any URL/);
    expect(errors[2]?.message).toMatch(/bad checksum/);
  });

  it('accepts a BOM and CRLF line ends', async () => {
    const items = await parse('\ufeffhttp://a/1\r\n  out=y\r\nhttp://a/2\r\n');
    expect(items).toEqual([
      { kind: 'entry', url: 'http://a/1', source: 'list.txt', line: 1, out: 'y', options: { out: 'y' } },
      { kind: 'entry', url: 'http://a/2', source: 'list.txt', line: 3, options: {} },
    ]);
  });

  it('rejects very long lines and binary garbage without stopping', async () => {
    const items = await parse(`http://a/${'x'.repeat(9000)}\n\u0001\u0002\u0003garbage\nhttp://a/ok\n`);
    expect(items.map((i) => i.kind)).toEqual(['error', 'error', 'entry']);
    expect(items[0]).toMatchObject({ line: 1, message: expect.stringMatching(/too long/) });
    expect((items[0] as { text: string }).text.length).toBeLessThanOrEqual(201);
    expect(items[1]).toMatchObject({ line: 2, message: expect.stringMatching(/control characters/) });
  });

  it('takes the first of tab-separated mirror URIs and warns', async () => {
    const items = await parse('http://a/1\thttp://b/1\n');
    expect(items[0]).toMatchObject({ kind: 'warning', line: 1 });
    expect(items[1]).toMatchObject({ kind: 'entry', url: 'http://a/1' });
  });

  it('streams: the first entry arrives before the input ends', async () => {
    const input = new PassThrough();
    const it = parseList(input, 'stream')[Symbol.asyncIterator]();
    input.write('http://a/1\nhttp://a/2\n');
    // The first entry is complete once the next URL line is read, though the stream is still open.
    const first = await it.next();
    expect(first.value).toMatchObject({ url: 'http://a/1' });
    input.end('http://a/3\n');
    expect((await it.next()).value).toMatchObject({ url: 'http://a/2' });
    expect((await it.next()).value).toMatchObject({ url: 'http://a/3' });
    expect((await it.next()).done).toBe(true);
  });
});

describe('openSources', () => {
  it('mixes argv URLs, list files and stdin in order', async () => {
    const dir = await tmpDir();
    const list = path.join(dir, 'l.txt');
    await fs.writeFile(list, 'http://file/1\n');
    const stdin = Readable.from(['http://stdin/1\n']);
    const items = await all(await openSources(['http://argv/1', list, '-', 'ftp://argv/2'], { stdin }));
    expect(items).toEqual([
      { kind: 'entry', url: 'http://argv/1', source: 'argv', line: 1, options: {} },
      { kind: 'entry', url: 'http://file/1', source: list, line: 1, options: {} },
      { kind: 'entry', url: 'http://stdin/1', source: '-', line: 1, options: {} },
      expect.objectContaining({ kind: 'error', source: 'argv', line: 4, code: 'ERR_DL_UNSUPPORTED_SCHEME' }),
    ]);
  });

  it('fails before anything is read when a list file is missing or a directory', async () => {
    const dir = await tmpDir();
    await expect(openSources(['http://a/1', path.join(dir, 'nope.txt')])).rejects.toMatchObject({
      code: 'ERR_DL_INPUT',
      message: expect.stringMatching(/nope\.txt': ENOENT/),
    });
    await expect(openSources([dir])).rejects.toMatchObject({ code: 'ERR_DL_INPUT' });
    await expect(openSources(['-', '-'], { stdin: Readable.from([]) })).rejects.toMatchObject({ code: 'ERR_DL_USAGE' });
  });

  it('never shows credentials in errors', async () => {
    const items = await all(await openSources(['ftp://user:pw@host/x']));
    expect(JSON.stringify(items)).not.toContain('pw@');
  });
});
