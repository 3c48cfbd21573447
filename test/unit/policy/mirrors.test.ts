import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ListEntry } from '../../../src/sources/types.js';
import { memoryTransport } from '../../helpers/memory-transport.js';
import { runOn } from '../../helpers/memory-run.js';

const entry = (url: string, mirrors: string[]): ListEntry => ({
  kind: 'entry',
  url,
  mirrors,
  source: 'argv',
  line: 1,
  options: {},
});

describe('mirrors (memory transport)', () => {
  it('moves to the next mirror at each failed attempt, round after round, and says which one served', async () => {
    const t = memoryTransport((req) =>
      req.url.startsWith('http://m2.example') && t.requests.length > 3
        ? { body: 'from m2' }
        : { status: 503, body: 'busy' },
    );
    const { summary, dir } = await runOn(
      t,
      [entry('http://a.example/f.bin', ['http://m1.example/f.bin', 'http://m2.example/f.bin'])],
      { retries: 6 },
    );
    expect(t.requests.map((q) => new URL(q.url).host)).toEqual([
      'a.example',
      'm1.example',
      'm2.example',
      'a.example',
      'm1.example',
      'm2.example',
    ]);
    expect(summary.results[0]).toMatchObject({ status: 'downloaded', mirror: 'http://m2.example/f.bin' });
    // The name comes from the entry's URL.
    expect(await fs.readFile(path.join(dir, 'f.bin'), 'utf8')).toBe('from m2');
  });

  it('does not continue a .part from another mirror without a checksum: the next one restarts from zero', async () => {
    const t = memoryTransport((_req, n) =>
      n === 0
        ? { headers: { etag: '"same"', 'content-length': '8' }, body: 'abcd', cut: true }
        : { headers: { etag: '"same"' }, body: 'ABCDEFGH' },
    );
    const { summary, dir } = await runOn(t, [entry('http://a.example/f.bin', ['http://m1.example/f.bin'])]);
    expect(summary.downloaded).toBe(1);
    expect(t.requests[1]?.url).toBe('http://m1.example/f.bin');
    expect(t.requests[1]?.headers['range']).toBeUndefined();
    expect(t.requests[1]?.headers['if-range']).toBeUndefined();
    expect(await fs.readFile(path.join(dir, 'f.bin'), 'utf8')).toBe('ABCDEFGH');
  });
});
