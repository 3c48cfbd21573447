import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryTransport } from '../../helpers/memory-transport.js';
import { runOn } from '../../helpers/memory-run.js';

const WHOLE = 'hello world!';

describe('resume after a cut (memory transport)', () => {
  it('asks for the rest with Range and If-Range on the ETag, and appends the 206', async () => {
    const t = memoryTransport((req, n) => {
      if (n === 0) {
        return { headers: { etag: '"v1"', 'content-length': '12' }, body: ['hel', 'lo '], cut: true };
      }
      expect(req.headers['range']).toBe('bytes=6-');
      return {
        status: 206,
        headers: { etag: '"v1"', 'content-range': 'bytes 6-11/12' },
        body: WHOLE.slice(6),
      };
    });
    const { summary, dir } = await runOn(t, ['http://a.example/f.txt']);
    expect(summary.downloaded).toBe(1);
    expect(summary.results[0]).toMatchObject({ resumed: true, attempts: 2, transferred: 12 });
    expect(t.requests[1]?.headers).toMatchObject({ range: 'bytes=6-', 'if-range': '"v1"' });
    expect(await fs.readFile(path.join(dir, 'f.txt'), 'utf8')).toBe(WHOLE);
  });

  it('starts again from zero when the server answers the range request with a whole 200 (the file changed)', async () => {
    const t = memoryTransport((_req, n) =>
      n === 0
        ? { headers: { etag: '"v1"', 'content-length': '12' }, body: 'old st', cut: true }
        : { headers: { etag: '"v2"' }, body: 'brand new' },
    );
    const { summary, dir } = await runOn(t, ['http://a.example/f.txt']);
    expect(summary.downloaded).toBe(1);
    expect(t.requests[1]?.headers['range']).toBe('bytes=6-');
    expect(await fs.readFile(path.join(dir, 'f.txt'), 'utf8')).toBe('brand new');
  });

  it('sends no If-Range when the first answer gave no validator', async () => {
    const t = memoryTransport((_req, n) =>
      n === 0
        ? { headers: { 'content-length': '12' }, body: 'hello ', cut: true }
        : { status: 206, headers: { 'content-range': 'bytes 6-11/12' }, body: 'world!' },
    );
    const { summary, dir } = await runOn(t, ['http://a.example/f.txt']);
    expect(summary.downloaded).toBe(1);
    const second = t.requests[1]?.headers ?? {};
    expect(second['if-range']).toBeUndefined();
    expect(await fs.readFile(path.join(dir, 'f.txt'), 'utf8')).toBe(WHOLE);
  });
});
