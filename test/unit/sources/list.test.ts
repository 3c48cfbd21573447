import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { checkUrl, parseList } from '../../../src/sources/list.js';
import { openSources } from '../../../src/sources/sources.js';
import type { ListLineError, SourceItem } from '../../../src/sources/types.js';
import { tmpDir } from '../../helpers/tmp.js';

async function all(it: AsyncIterable<SourceItem>): Promise<SourceItem[]> {
  const out: SourceItem[] = [];
  for await (const x of it) out.push(x);
  return out;
}
const parse = (text: string | Buffer) => all(parseList(Readable.from([text]), 'list.txt'));
const errors = (items: SourceItem[]) => items.filter((i): i is ListLineError => i.kind === 'error');
const SHA = 'a'.repeat(64);

/** Descriptors this process holds open on `file` (Linux only). */
function openFds(file: string): number {
  let n = 0;
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      if (fs.readlinkSync(`/proc/self/fd/${fd}`) === file) n++;
    } catch {}
  }
  return n;
}

describe('credentials in list lines that do not parse', () => {
  it('never show a password that holds a tab (which cuts the line in two) or a blank', async () => {
    const items = await parse('http://user:se\tcret@127.0.0.1:99999/b\nhttp://ann:pa ss@host:99999/c\n');
    const errors = items.filter((i): i is ListLineError => i.kind === 'error');
    expect(errors).toHaveLength(2);
    for (const e of errors) {
      expect(`${e.message} ${e.text}`).not.toMatch(/user|se\b|cret|ann|pa ss/);
    }
    expect(errors[0]!.message).toContain('http://127.0.0.1:99999/b');
  });
});

describe('checkUrl', () => {
  it('accepts http: and https: only', () => {
    expect(checkUrl('https://h/x')).toMatchObject({ ok: true, url: new URL('https://h/x') });
    expect(checkUrl('  http://h/x  ')).toMatchObject({ ok: true });
    expect(checkUrl('ftp://h/x')).toEqual({
      ok: false,
      code: 'ERR_DL_UNSUPPORTED_SCHEME',
      message: expect.stringMatching(/^unsupported scheme 'ftp:'/),
    });
    expect(checkUrl('file:///etc/passwd')).toMatchObject({ code: 'ERR_DL_UNSUPPORTED_SCHEME' });
    expect(checkUrl('mailto:a@b')).toMatchObject({ code: 'ERR_DL_UNSUPPORTED_SCHEME' });
    expect(checkUrl('not a url')).toEqual({
      ok: false,
      code: 'ERR_DL_LIST_LINE',
      message: 'not a valid URL: not a url',
    });
    expect(checkUrl('http://[bad')).toMatchObject({ code: 'ERR_DL_LIST_LINE' });
  });

  it('never puts credentials in a message', () => {
    const bad = checkUrl('ftp://user:secret@h/x');
    const unparsable = checkUrl('http://user:secret@[bad/x');
    expect(bad.ok || bad.message).not.toContain('secret');
    expect(unparsable.ok || unparsable.message).not.toContain('secret');
  });
});

describe('parseList', () => {
  it('reads URLs, skipping comments and blank lines, with line numbers', async () => {
    const items = await parse('# header\n\nhttp://a/1\n  \n   # indented comment\nhttps://b/2\n');
    expect(items).toEqual([
      { kind: 'entry', url: 'http://a/1', source: 'list.txt', line: 3, options: {} },
      { kind: 'entry', url: 'https://b/2', source: 'list.txt', line: 6, options: {} },
    ]);
  });

  it('trims URL lines and reads a last line without a newline', async () => {
    expect(await parse('http://a/1   \nhttp://a/2')).toEqual([
      { kind: 'entry', url: 'http://a/1', source: 'list.txt', line: 1, options: {} },
      { kind: 'entry', url: 'http://a/2', source: 'list.txt', line: 2, options: {} },
    ]);
  });

  it('applies aria2 option lines to the URL above them', async () => {
    const items = await parse(
      `http://a/1\n  out=x.bin\n\tdir=sub\n  checksum=sha-256=${SHA.toUpperCase()}\n  split=4\nhttp://a/2\n`,
    );
    // (split= is warned about: -x is the run's.)
    expect(items.map((i) => i.kind)).toEqual(['warning', 'entry', 'entry']);
    expect(items[1]).toMatchObject({
      url: 'http://a/1',
      out: 'x.bin',
      dir: 'sub',
      checksum: { algorithm: 'sha256', hex: SHA },
      options: { out: 'x.bin', dir: 'sub', split: '4', checksum: `sha-256=${SHA.toUpperCase()}` },
    });
    expect(items[2]).toEqual({ kind: 'entry', url: 'http://a/2', source: 'list.txt', line: 6, options: {} });
  });

  it('keeps options across comments and blank lines, and repeated headers', async () => {
    const items = await parse('http://a/1\n\n# note\n  header=A: 1\n  header=B: 2\n  dir=\n');
    expect(items).toEqual([
      {
        kind: 'entry',
        url: 'http://a/1',
        source: 'list.txt',
        line: 1,
        options: { header: 'A: 1\nB: 2', dir: '' },
        headers: { a: '1', b: '2' },
      },
    ]);
  });

  it('maps aria2 checksum names to node:crypto names and checks the digest length', async () => {
    const cases: [string, string, number][] = [
      ['md5', 'md5', 32],
      ['sha-1', 'sha1', 40],
      ['SHA-224', 'sha224', 56],
      ['sha-256', 'sha256', 64],
      ['sha-384', 'sha384', 96],
      ['sha-512', 'sha512', 128],
      ['sha256', 'sha256', 64],
    ];
    for (const [type, algorithm, len] of cases) {
      const [item] = await parse(`http://a/1\n  checksum=${type}=${'0f'.repeat(len / 2)}\n`);
      expect(item).toMatchObject({ kind: 'entry', checksum: { algorithm, hex: '0f'.repeat(len / 2) } });
    }
    const bad = errors(
      await parse(
        `http://a/1\n  checksum=crc32=12345678\nhttp://a/2\n  checksum=sha-1=${'g'.repeat(40)}\nhttp://a/3\n  checksum=${SHA}\n`,
      ),
    );
    expect(bad.map((e) => [e.optionLine, e.code])).toEqual([
      [2, 'ERR_DL_LIST_LINE'],
      [4, 'ERR_DL_LIST_LINE'],
      [6, 'ERR_DL_LIST_LINE'],
    ]);
    // It names the types that can be checked here, which adler32 is not.
    expect(bad[0]?.message).toMatch(
      /unknown type 'crc32' \(md5, sha-1, sha-224, sha-256, sha-384, sha-512\)$/,
    );
  });

  it('refuses a checksum type aria2 knows but node:crypto cannot compute (adler32), at its line', async () => {
    const [bad, ok] = await parse(`http://a/1\n  checksum=adler32=0a0b0c0d\nhttp://a/2\n`);
    expect(bad).toMatchObject({ kind: 'error', code: 'ERR_DL_LIST_LINE', line: 1, optionLine: 2 });
    expect((bad as ListLineError).message).toMatch(/type 'adler32' cannot be computed here/);
    expect(ok).toMatchObject({ kind: 'entry', line: 3 });
  });

  it('warns about unknown options and aria2 options not used per entry, with file and line', async () => {
    const items = await parse(
      'http://a/1\n  frobnicate=yes\n  user-agent=x\n  max-connection-per-server=4\n  gid=0123456789abcdef\n',
    );
    expect(items.filter((i) => i.kind === 'warning')).toEqual([
      {
        kind: 'warning',
        source: 'list.txt',
        line: 2,
        message: "unknown aria2 option 'frobnicate' ignored",
        option: 'frobnicate',
      },
      {
        kind: 'warning',
        source: 'list.txt',
        line: 4,
        message:
          "aria2 option 'max-connection-per-server' is not used per entry; ignored (-x sets it for the whole run)",
        option: 'max-connection-per-server',
      },
      {
        kind: 'warning',
        source: 'list.txt',
        line: 5,
        message: "aria2 option 'gid' is not used per entry; ignored",
        option: 'gid',
      },
    ]);
    expect(items.filter((i) => i.kind === 'entry')).toEqual([
      expect.objectContaining({
        options: {
          frobnicate: 'yes',
          'user-agent': 'x',
          'max-connection-per-server': '4',
          gid: '0123456789abcdef',
        },
        headers: { 'user-agent': 'x' },
      }),
    ]);
  });

  it("fails the whole entry on a bad option line: one error, at the entry's line, naming the option line", async () => {
    const items = await parse(
      `  out=orphan\nhttp://user:pw@a/1\n  novalue\n  checksum=sha-256=xyz\n  =x\nhttp://a/2\n  out=\nhttp://a/3\n` +
        `  lowest-speed-limit=fast\nhttp://a/4\n  checksum=sha-256=${'a'.repeat(10)}\n  frobnicate=1\nhttp://a/ok\n`,
    );
    expect(items.map((i) => [i.kind, i.line])).toEqual([
      ['error', 1],
      ['error', 2],
      ['error', 6],
      ['error', 8],
      ['warning', 12],
      ['error', 10],
      ['entry', 13],
    ]);
    const errs = errors(items);
    expect(errs[0]).toMatchObject({ message: expect.stringMatching(/before any URL/) });
    expect(errs[0]).not.toHaveProperty('optionLine');
    // The first bad option line is the one named; the URL is kept (without its password) for the report.
    expect(errs[1]).toMatchObject({
      optionLine: 3,
      url: 'http://a/1',
      text: 'novalue',
      code: 'ERR_DL_LIST_LINE',
      message: expect.stringMatching(/not key=value/),
    });
    expect(errs[2]).toMatchObject({ optionLine: 7, url: 'http://a/2', message: "option 'out' is empty" });
    expect(errs[3]).toMatchObject({ optionLine: 9, message: expect.stringMatching(/lowest-speed-limit/) });
    expect(errs[4]).toMatchObject({ optionLine: 11, message: expect.stringMatching(/needs 64 hex digits/) });
  });

  it('fails an entry whose option is given twice with different values (which one was meant is a guess)', async () => {
    const items = await parse(
      `http://a/1\n  out=x.bin\n  out=x.bin\nhttp://a/2\n  out=x.bin\n  out=y.bin\n` +
        `http://a/3\n  checksum=sha-256=${SHA}\n  checksum=sha-256=${'b'.repeat(64)}\n`,
    );
    expect(items.map((i) => [i.kind, i.line])).toEqual([
      ['entry', 1],
      ['error', 4],
      ['error', 7],
    ]);
    expect(items[1]).toMatchObject({
      optionLine: 6,
      message: "option 'out' given twice with different values ('x.bin', then 'y.bin')",
    });
    expect(items[2]).toMatchObject({
      optionLine: 9,
      message: expect.stringMatching(/'checksum' given twice/),
    });
  });

  it("fails the entry of a bad option line past a range's end; the next range leaves it to that read", async () => {
    const text = `http://a/1\nhttp://a/2\n  frobnicate=1\n  checksum=md5=00\nhttp://a/3\n`;
    const range = (firstLine: number, endLine: number, skip: number) =>
      all(parseList(Readable.from([Buffer.from(text).subarray(skip)]), 'list.txt', { firstLine, endLine }));
    // Lines 1-2, then 3-4 (option lines of line 2's entry) and 5.
    const first = await range(1, 3, 0);
    const second = await range(3, 5, 'http://a/1\nhttp://a/2\n'.length);
    expect(first.map((i) => [i.kind, i.line])).toEqual([
      ['entry', 1],
      ['error', 2],
    ]);
    expect(first[1]).toMatchObject({ optionLine: 4, url: 'http://a/2' });
    expect(second.map((i) => [i.kind, i.line])).toEqual([['warning', 3]]);
  });

  it('says so when a URL is indented by mistake', async () => {
    // An indented line belongs to the entry above: that entry fails, with the reason.
    const items = await parse('http://a/1\n  http://a/2?x=1\n');
    expect(items).toEqual([
      expect.objectContaining({ line: 1, optionLine: 2, message: expect.stringMatching(/indented URL/) }),
    ]);
  });

  it('reports unsupported schemes and bad URLs, and skips the option lines under them', async () => {
    const items = await parse('ftp://user:pw@h/x\n  out=a\nnot a url\n  bogus\nhttp://ok/1\n');
    expect(items).toEqual([
      {
        kind: 'error',
        source: 'list.txt',
        line: 1,
        text: 'ftp://h/x',
        code: 'ERR_DL_UNSUPPORTED_SCHEME',
        message: "unsupported scheme 'ftp:' (only http: and https:): ftp://h/x",
      },
      {
        kind: 'error',
        source: 'list.txt',
        line: 3,
        text: 'not a url',
        code: 'ERR_DL_LIST_LINE',
        message: 'not a valid URL: not a url',
      },
      { kind: 'entry', url: 'http://ok/1', source: 'list.txt', line: 5, options: {} },
    ]);
  });

  it('accepts a BOM and CRLF line ends', async () => {
    const items = await parse(Buffer.from('\ufeffhttp://a/1\r\n  out=y\r\n\r\n# c\r\nhttp://a/2\r\n'));
    expect(items).toEqual([
      { kind: 'entry', url: 'http://a/1', source: 'list.txt', line: 1, out: 'y', options: { out: 'y' } },
      { kind: 'entry', url: 'http://a/2', source: 'list.txt', line: 5, options: {} },
    ]);
  });

  it('rejects very long lines and binary garbage without stopping', async () => {
    const items = await parse(`http://a/${'x'.repeat(9000)}\n\u0001\u0002\u0003garbage\nhttp://a/ok\n`);
    expect(items.map((i) => i.kind)).toEqual(['error', 'error', 'entry']);
    expect(items[0]).toMatchObject({ line: 1, message: expect.stringMatching(/too long/) });
    expect((items[0] as { text: string }).text.length).toBeLessThanOrEqual(200);
    expect(items[1]).toMatchObject({ line: 2, message: expect.stringMatching(/control characters/) });
    expect(items[1]).toMatchObject({ text: '\\x01\\x02\\x03garbage' });
    expect(items[2]).toMatchObject({ line: 3 });
  });

  it('accepts a line of exactly 8192 characters', async () => {
    const url = `http://a/${'x'.repeat(8192 - 9)}`;
    expect(await parse(`${url}\n`)).toEqual([
      { kind: 'entry', url, source: 'list.txt', line: 1, options: {} },
    ]);
  });

  it('rejects raw binary bytes and invalid UTF-8, keeping line numbers right', async () => {
    const garbage = Buffer.from([0x00, 0xff, 0x13, 0x89, 0x50, 0x4e, 0x47, 0xfe]);
    const latin1 = Buffer.from('http://a/caf\xe9\n', 'latin1');
    const items = await parse(
      Buffer.concat([Buffer.from('http://a/1\n'), garbage, Buffer.from('\n'), latin1]),
    );
    expect(items.map((i) => [i.kind, i.line])).toEqual([
      ['entry', 1],
      ['error', 2],
      ['error', 3],
    ]);
    expect(items[2]).toMatchObject({ message: expect.stringMatching(/not valid UTF-8/) });
  });

  it('never holds an endless line in memory (more than the longest possible string)', async () => {
    // 600 MiB without a newline: were it collected into one string, V8 would fail (max ~512 Mi characters).
    const chunk = Buffer.alloc(1 << 20, 0x61);
    async function* endless() {
      yield 'http://a/1\n';
      for (let i = 0; i < 600; i++) yield chunk;
      yield '\nhttp://a/2\n';
    }
    const items = await all(parseList(endless() as AsyncIterable<string>, 'big'));
    expect(items.map((i) => [i.kind, i.line])).toEqual([
      ['entry', 1],
      ['error', 2],
      ['entry', 3],
    ]);
    expect(items[1]).toMatchObject({ message: expect.stringMatching(/too long/) });
  });

  it('reports an over-long line as soon as it passes the limit, not when (if ever) it ends', async () => {
    // /dev/zero as a list: the line never ends. Its error comes while the stream is still being read.
    let given = 0;
    const chunk = Buffer.alloc(64 * 1024, 0);
    async function* zeros() {
      for (; given < 100; given++) yield chunk;
    }
    const items = parseList(zeros() as AsyncIterable<string>, '/dev/zero');
    const first = await items.next();
    expect(first.value).toMatchObject({
      kind: 'error',
      source: '/dev/zero',
      line: 1,
      message: expect.stringMatching(/too long/),
    });
    expect(given).toBeLessThan(100);
    await items.return(undefined);
  });

  it('keeps tab-separated URIs after the first as its mirrors; a mirror that cannot be fetched is an error', async () => {
    const items = await parse('http://a/1\thttp://b/1\t\thttp://c/1\nhttp://a/2\tftp://b/2\n');
    expect(items).toEqual([
      {
        kind: 'entry',
        url: 'http://a/1',
        mirrors: ['http://b/1', 'http://c/1'],
        source: 'list.txt',
        line: 1,
        options: {},
      },
      expect.objectContaining({
        kind: 'error',
        line: 2,
        code: 'ERR_DL_UNSUPPORTED_SCHEME',
        message: expect.stringMatching(/^mirror: unsupported scheme 'ftp:'/),
      }),
    ]);
  });

  it('ends a URL at whitespace: a word starting with # after it is a comment, not part of the URL', async () => {
    const items = await parse(
      'http://a/file.bin   # the big one\nhttp://a/2\t# tab, then a note\nhttp://a/3#frag\nhttp://a/4 http://b/4 #c\n',
    );
    expect(items.filter((i) => i.kind === 'entry').map((i) => i.kind === 'entry' && i.url)).toEqual([
      'http://a/file.bin',
      'http://a/2',
      'http://a/3#frag',
      'http://a/4',
    ]);
    // Only the line with a second URL has a mirror.
    expect(items.filter((i) => i.kind === 'entry' && i.mirrors).map((i) => i.line)).toEqual([4]);
  });

  it('refuses a URL line with a stray word (a raw space in a URL) instead of fetching it cut short', async () => {
    const items = await parse('http://a/my file.txt\nhttp://a/ok\n');
    expect(items[0]).toMatchObject({
      kind: 'error',
      line: 1,
      message: expect.stringMatching(/'file\.txt' after the URL is neither a URL nor a # comment.*%20/),
    });
    expect(items[1]).toMatchObject({ kind: 'entry', url: 'http://a/ok' });
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

  it('streams 200,000 lines lazily, reading only a little ahead of the consumer', async () => {
    const total = 200_000;
    let produced = 0;
    async function* lines() {
      for (let i = 0; i < total; i++) {
        produced++;
        yield `http://h/${i}\n`;
      }
    }
    const it = parseList(lines(), 'gen')[Symbol.asyncIterator]();
    expect((await it.next()).value).toMatchObject({ url: 'http://h/0', line: 1 });
    expect(produced).toBeLessThan(5_000);
    let consumed = 1;
    let maxAhead = 0;
    for (let r = await it.next(); !r.done; r = await it.next()) {
      consumed++;
      maxAhead = Math.max(maxAhead, produced - consumed);
    }
    expect(consumed).toBe(total);
    expect(maxAhead).toBeLessThan(5_000);
  });

  it('turns a read error into ERR_DL_INPUT', async () => {
    const input = new Readable({ read() {} });
    input.push('http://a/1\nhttp://a/2\n');
    setTimeout(() => input.destroy(Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' })), 5);
    const got: SourceItem[] = [];
    const run = async () => {
      for await (const x of parseList(input, 'l.txt')) got.push(x);
    };
    await expect(run()).rejects.toMatchObject({
      code: 'ERR_DL_INPUT',
      errno: 'EIO',
      message: "cannot read list 'l.txt': Input/output error",
    });
    expect(got).toEqual([expect.objectContaining({ url: 'http://a/1' })]);
  });
});

describe('openSources', () => {
  it('mixes argv URLs, list files and stdin in order', async () => {
    const dir = await tmpDir();
    const list = path.join(dir, 'l.txt');
    await fsp.writeFile(list, 'http://file/1\n  out=f.bin\nhttp://file/2\n');
    const stdin = new PassThrough();
    stdin.end('http://stdin/1\n');
    const items = await all(
      await openSources(['http://argv/1', list, '-', 'ftp://argv/2', 'https://argv/3'], { stdin }),
    );
    expect(items).toEqual([
      { kind: 'entry', url: 'http://argv/1', source: 'argv', line: 1, options: {} },
      { kind: 'entry', url: 'http://file/1', source: list, line: 1, out: 'f.bin', options: { out: 'f.bin' } },
      { kind: 'entry', url: 'http://file/2', source: list, line: 3, options: {} },
      { kind: 'entry', url: 'http://stdin/1', source: '-', line: 1, options: {} },
      expect.objectContaining({ kind: 'error', source: 'argv', line: 4, code: 'ERR_DL_UNSUPPORTED_SCHEME' }),
      { kind: 'entry', url: 'https://argv/3', source: 'argv', line: 5, options: {} },
    ]);
  });

  it('reads stdin given as text chunks', async () => {
    const stdin = Readable.from(['http://stdin/1\nhttp://st', 'din/2\n']);
    const items = await all(await openSources(['-'], { stdin }));
    expect(items.map((i) => i.kind === 'entry' && i.url)).toEqual(['http://stdin/1', 'http://stdin/2']);
  });

  it('fails before anything is read when a list file is missing or a directory', async () => {
    const dir = await tmpDir();
    await expect(openSources(['http://a/1', path.join(dir, 'nope.txt')])).rejects.toMatchObject({
      code: 'ERR_DL_INPUT',
      errno: 'ENOENT',
      message: `cannot read list '${path.join(dir, 'nope.txt')}': No such file or directory`,
    });
    await expect(openSources([dir])).rejects.toMatchObject({
      code: 'ERR_DL_INPUT',
      errno: 'EISDIR',
      message: expect.stringMatching(/: Is a directory$/),
    });
    // The library reads no stdin of its own: '-' needs the stream.
    await expect(openSources(['-'])).rejects.toMatchObject({
      code: 'ERR_DL_USAGE',
      message: "sources: '-' reads stdin: give the stream as options.stdin",
    });
    await expect(openSources(['-', '-'], { stdin: Readable.from([]) })).rejects.toMatchObject({
      code: 'ERR_DL_USAGE',
    });
  });

  it('hints at a missing scheme', async () => {
    await expect(openSources(['example.com/file.bin'])).rejects.toMatchObject({
      message: expect.stringMatching(/needs its scheme/),
    });
  });

  it.runIf(process.platform === 'linux')(
    'closes list files it opened when a later one is missing',
    async () => {
      const dir = await tmpDir();
      const list = path.join(dir, 'l.txt');
      await fsp.writeFile(list, 'http://a/1\n');
      await expect(openSources([list, path.join(dir, 'nope.txt')])).rejects.toMatchObject({
        code: 'ERR_DL_INPUT',
      });
      expect(openFds(list)).toBe(0);
    },
  );

  it.runIf(process.platform === 'linux')(
    'closes list files when the consumer stops early or calls close()',
    async () => {
      const dir = await tmpDir();
      const a = path.join(dir, 'a.txt');
      const b = path.join(dir, 'b.txt');
      await fsp.writeFile(a, 'http://a/1\nhttp://a/2\nhttp://a/3\n');
      await fsp.writeFile(b, 'http://b/1\n');
      const sources = await openSources([a, b]);
      expect(openFds(a) + openFds(b)).toBe(2);
      for await (const item of sources) {
        expect(item).toMatchObject({ url: 'http://a/1' });
        break;
      }
      expect(openFds(a) + openFds(b)).toBe(0);

      const unread = await openSources([a, b]);
      expect(openFds(a) + openFds(b)).toBe(2);
      await unread.close();
      expect(openFds(a) + openFds(b)).toBe(0);

      await all(await openSources([a, b]));
      // A read in flight when the stream is destroyed can delay the close by a moment (seen once in ~20
      // runs under load); a leak never gets there.
      await expect.poll(() => openFds(a) + openFds(b), { timeout: 1000 }).toBe(0);
    },
  );

  it('never shows credentials in errors', async () => {
    const items = await all(await openSources(['ftp://user:pw@host/x', 'http://user:pw@[bad/']));
    expect(items).toHaveLength(2);
    expect(JSON.stringify(items)).not.toContain('pw');
  });
});
