import { describe, expect, it } from 'vitest';
import { openSources } from '../../../src/sources/sources.js';
import type { SourceItem } from '../../../src/sources/types.js';

describe('openSources with a shard read already (range.bytes)', () => {
  it('parses those bytes as the list named, numbering from firstLine, and never opens the file', async () => {
    const bytes = Buffer.from(
      'http://h/a.bin\n  out=b.bin\nnot a url\nhttp://h/c.bin\nhttp://h/next-shard.bin\n',
    );
    const list = '/no/such/dir/list.txt';
    const items: SourceItem[] = [];
    for await (const item of await openSources([list], {
      range: { offset: 4096, firstLine: 11, endLine: 15, bytes },
    }))
      items.push(item);
    expect(items.map((i) => [i.kind, i.source, i.line])).toEqual([
      ['entry', list, 11],
      ['error', list, 13],
      ['entry', list, 14],
    ]);
    expect(items[0]).toMatchObject({ url: 'http://h/a.bin', out: 'b.bin' });
  });
});
