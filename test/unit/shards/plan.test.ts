import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { NameRegistry, relativeName } from '../../../src/jobs/naming.js';
import { planShards } from '../../../src/shards/plan.js';
import { parseList } from '../../../src/sources/list.js';
import type { SourceItem } from '../../../src/sources/types.js';
import { openSources } from '../../../src/sources/sources.js';
import { tmpDir } from '../../helpers/tmp.js';

async function all(items: AsyncIterable<SourceItem>): Promise<SourceItem[]> {
  const out: SourceItem[] = [];
  for await (const i of items) out.push(i);
  return out;
}

/** A list with what makes shard edges hard: option lines across them, comments, blank lines, a bad line. */
function trickyList(eol: string): string {
  const lines = [
    '\ufeff# a list', // BOM, comment
    'http://h/a/f.bin',
    '  out=one.bin',
    'http://h/b/f.bin', // same name as line 2's URL, but line 2 is out=one.bin
    '',
    'http://h/c/f.bin', // in dir=sub: sub/f.bin, its own name
    '  dir=sub',
    '  bogus line', // an error of an option line, past the shard edge below
    'not a url',
    'http://h/d/f.bin', // f.bin taken by line 4: f.1.bin
    '\tunknown-opt=1', // a warning
    '# comment',
    'http://h/e/one.bin', // one.bin taken by line 2: one.1.bin
    'http://h/f/g.bin',
  ];
  return lines.join(eol) + eol;
}

describe('planShards: each shard read alone from its offset is what a read of the whole list gives it', () => {
  for (const [eolName, eol] of [
    ['\\n', '\n'],
    ['\\r\\n', '\r\n'],
    ['lone \\r', '\r'],
  ] as const) {
    for (const chunk of [1, 3, 7, 1 << 20]) {
      it(`line ends ${eolName}, read ${chunk} bytes at a time`, async () => {
        const dir = await tmpDir();
        const list = path.join(dir, 'list.txt');
        const bytes = Buffer.from(trickyList(eol));
        await fs.writeFile(list, bytes);
        const whole = await all(parseList(Readable.from([bytes]), list));
        for (const size of [1, 2, 3, 5, 7, 100]) {
          const plan = await planShards(list, size, chunk);
          expect(plan.hash).toBe(createHash('sha256').update(bytes).digest('hex'));
          // The shards' byte ranges tile the file, and each one's hash is of its bytes.
          expect(plan.shards[0]!.offset).toBe(0);
          expect(plan.shards.at(-1)!.end).toBe(bytes.length);
          for (const [k, s] of plan.shards.entries()) {
            expect(s.firstLine).toBe(k * size + 1);
            if (k > 0) expect(s.offset).toBe(plan.shards[k - 1]!.end);
            const own = bytes.subarray(s.offset, s.end);
            expect(s.bytes).toBe(createHash('sha256').update(own).digest('hex'));
            const alone = await openSources([list], {
              range: { offset: s.offset, firstLine: s.firstLine, endLine: s.firstLine + size },
            });
            const expected = whole.filter((i) => Math.floor((i.line - 1) / size) === k);
            expect(await all(alone), `size ${size}, shard ${k}`).toEqual(expected);
          }
        }
      });
    }
  }

  it('settles the names a run of the whole list gives, for the lines whose name an earlier line took', async () => {
    const dir = await tmpDir();
    const list = path.join(dir, 'list.txt');
    await fs.writeFile(list, trickyList('\n'));
    const plan = await planShards(list, 3);
    const settled = Object.assign({}, ...plan.shards.map((s) => s.names ?? {}));
    expect(settled).toEqual({ 10: 'f.1.bin', 13: 'one.1.bin' });
    // Against the registry run over the whole list, entry by entry.
    const names = new NameRegistry();
    names.claim('.dlpool');
    const expected: Record<number, string> = {};
    for (const i of await all(parseList(Readable.from([trickyList('\n')]), list))) {
      if (i.kind !== 'entry') continue;
      const natural = relativeName({ url: new URL(i.url), out: i.out, dir: i.dir });
      const got = names.claim(natural);
      if (got !== natural) expected[i.line] = got;
    }
    expect(settled).toEqual(expected);
    // Shards that take no other line's name carry no names at all (a job stays small).
    expect(plan.shards.filter((s) => s.names === undefined).length).toBeGreaterThan(0);
  });
});
