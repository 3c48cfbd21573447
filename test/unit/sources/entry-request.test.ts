import fsp from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseList } from '../../../src/sources/list.js';
import { openSources } from '../../../src/sources/sources.js';
import type { ListEntry, ListLineError, SourceItem } from '../../../src/sources/types.js';
import { tmpDir } from '../../helpers/tmp.js';

async function all(it: AsyncIterable<SourceItem>): Promise<SourceItem[]> {
  const out: SourceItem[] = [];
  for await (const x of it) out.push(x);
  return out;
}
const parse = (text: string) => all(parseList(Readable.from([text]), 'list.txt'));
const one = async (options: string): Promise<SourceItem> => {
  const items = await parse(`http://u:pw@h/x#frag\n${options}`);
  expect(items).toHaveLength(1);
  return items[0]!;
};
const entry = async (options: string): Promise<ListEntry> => {
  const item = await one(options);
  expect(item.kind).toBe('entry');
  return item as ListEntry;
};
const failure = async (options: string): Promise<ListLineError> => {
  const item = await one(options);
  expect(item.kind).toBe('error');
  return item as ListLineError;
};

describe('request options of a list entry', () => {
  it('reads header= (names in lower case), referer=, user-agent= and referer=* (the URL, no credentials)', async () => {
    expect(
      (await entry('  header=X-Token:  a b \n  header=Accept: */*\n  user-agent=ua/1\n  referer=http://r/\n'))
        .headers,
    ).toEqual({ 'x-token': 'a b', accept: '*/*', 'user-agent': 'ua/1', referer: 'http://r/' });
    expect((await entry('  referer=*\n')).headers).toEqual({ referer: 'http://h/x' });
    // The same value twice is the same header.
    expect((await entry('  header=Referer: http://r/\n  referer=http://r/\n')).headers).toEqual({
      referer: 'http://r/',
    });
  });

  it("refuses headers no request could carry, or that are dlpool's to send, at their line", async () => {
    const cases: [string, RegExp][] = [
      ['  header=Bad Name: x', /expected "Name: value" \(a colon after the name\), got 'Bad \.\.\.'/],
      ['  header=NoColon', /expected "Name: value"/],
      [
        '  header=X-Euro: 5 \u20ac',
        /the value of 'X-Euro': the value holds a control character or a character past U\+00FF/,
      ],
      ['  header=Range: bytes=0-1', /Range cannot be set per entry \(dlpool asks for ranges itself/],
      ['  header=Connection: upgrade', /Connection cannot be set per entry/],
      ['  header=Transfer-Encoding: chunked', /cannot be set per entry/],
      ['  referer=', /'referer' is empty/],
      ['  user-agent=', /'user-agent' is empty/],
      ['  header=X-A: 1\n  header=x-a: 2', /header 'x-a' given twice with different values/],
      ['  header=User-Agent: a\n  user-agent=b', /header 'user-agent' given twice/],
    ];
    for (const [line, message] of cases) {
      const f = await failure(`${line}\n`);
      expect(f.message, line).toMatch(message);
      expect(f.optionLine, line).toBe(line.split('\n').length + 1);
    }
  });

  it('reads http-user= and http-passwd=, never showing them in a failed line', async () => {
    expect(await entry('  http-user=alice\n  http-passwd=p:w=x\n')).toMatchObject({
      httpUser: 'alice',
      httpPassword: 'p:w=x',
    });
    // A user name cannot hold a colon in Basic credentials: most likely user:password in one line.
    const f = await failure('  http-user=alice:secret\n');
    expect(f.message).toMatch(/'http-user' holds a ':'/);
    expect(JSON.stringify(f)).not.toContain('secret');
    const twice = await failure('  http-passwd=one1\n  http-passwd=two2\n');
    expect(twice.message).toBe("option 'http-passwd' given twice with different values");
    expect(JSON.stringify(twice)).not.toMatch(/one1|two2/);
    // Another line's failure shows no header value either (it may be a token).
    const header = await failure('  header=Authorization: Bearer tok\u20ac\n');
    expect(header.text).toBe('header=Authorization: ***');
  });

  it("max-tries= is aria2's count of tries: N is N - 1 retries, 0 no limit", async () => {
    expect((await entry('  max-tries=1\n')).retries).toBe(0);
    expect((await entry('  max-tries=6\n')).retries).toBe(5);
    expect((await entry('  max-tries=1001\n')).retries).toBe(1000);
    expect((await entry('  max-tries=0\n')).retries).toBe(Infinity);
    for (const bad of ['-1', '1002', '2.5', 'x', '']) {
      expect((await failure(`  max-tries=${bad}\n`)).message, bad).toBe(
        "option 'max-tries': expected 0 (no limit) or a number of tries from 1 to 1001",
      );
    }
  });

  it('timeout= is seconds without a byte, fractions allowed', async () => {
    expect((await entry('  timeout=30\n')).timeoutMs).toBe(30_000);
    expect((await entry('  timeout=0.25\n')).timeoutMs).toBe(250);
    for (const bad of ['0', '0.0001', '-1', '1e3', 'x', '', '2147484']) {
      expect((await failure(`  timeout=${bad}\n`)).message, bad).toMatch(
        /^option 'timeout': expected seconds/,
      );
    }
  });
});

describe('warnings about aria2 options', () => {
  it('come once per option name in a run, over every list of it', async () => {
    const dir = await tmpDir();
    const a = path.join(dir, 'a.txt');
    const b = path.join(dir, 'b.txt');
    await fsp.writeFile(a, 'http://h/1\n  split=2\n  bogus=1\nhttp://h/2\n  split=3\n');
    await fsp.writeFile(b, 'http://h/3\n  split=4\n  bogus=2\n  pause=true\n');
    const items = await all(await openSources([a, b]));
    expect(items.filter((i) => i.kind === 'warning').map((w) => [w.source, w.line, w.option])).toEqual([
      [a, 2, 'split'],
      [a, 3, 'bogus'],
      [b, 4, 'pause'],
    ]);
    expect(items.filter((i) => i.kind === 'entry')).toHaveLength(3);
  });
});
