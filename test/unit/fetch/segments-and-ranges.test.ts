import { describe, expect, it } from 'vitest';
import type { GetResponse } from '../../../src/policy/http.js';
import { acceptsRanges, contentRange, lengthOf, validatorOf } from '../../../src/policy/headers.js';
import { planSegments, segmentBytes } from '../../../src/file/part-file.js';

const res = (headers: Record<string, string | string[]>) => ({ headers }) as unknown as GetResponse;

describe('planSegments', () => {
  it('cuts [0, total) into n near-equal ranges, the first ones a byte longer, together the whole file', () => {
    expect(planSegments(10, 3)).toEqual([
      { start: 0, pos: 0, end: 4 },
      { start: 4, pos: 4, end: 7 },
      { start: 7, pos: 7, end: 10 },
    ]);
    for (const [total, n] of [
      [1, 8],
      [7, 7],
      [1_000_003, 16],
      [5, 1],
    ] as const) {
      const segs = planSegments(total, n);
      expect(segs.length).toBe(Math.min(n, total));
      expect(segs[0]!.start).toBe(0);
      expect(segs.at(-1)!.end).toBe(total);
      for (let i = 1; i < segs.length; i++) expect(segs[i]!.start).toBe(segs[i - 1]!.end);
      const sizes = segs.map((s) => s.end - s.start);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
  });

  it('never makes an empty range: a 0-byte file is one empty segment, fewer bytes than n is one per byte', () => {
    expect(planSegments(0, 4)).toEqual([{ start: 0, pos: 0, end: 0 }]);
    expect(planSegments(2, 4).map((s) => s.end - s.start)).toEqual([1, 1]);
  });

  it('segmentBytes counts what the segments already wrote', () => {
    expect(
      segmentBytes([
        { start: 0, pos: 3, end: 5 },
        { start: 5, pos: 5, end: 9 },
        { start: 9, pos: 12, end: 12 },
      ]),
    ).toBe(6);
  });
});

describe('response headers', () => {
  it('contentRange reads `bytes a-b/total` (total * unknown) and nothing malformed', () => {
    expect(contentRange(res({ 'content-range': 'bytes 0-99/1000' }))).toEqual({
      start: 0,
      end: 99,
      total: 1000,
    });
    expect(contentRange(res({ 'content-range': ' bytes 5-9/* ' }))).toEqual({
      start: 5,
      end: 9,
      total: undefined,
    });
    for (const bad of [
      'bytes 5-/10',
      'bytes */10',
      'items 0-1/2',
      'bytes 0-1/2, bytes 3-4/5',
      '',
      'bytes -1-2/3',
    ])
      expect(contentRange(res({ 'content-range': bad })), bad).toBeUndefined();
    expect(contentRange(res({}))).toBeUndefined();
  });

  it('lengthOf takes digits only; validatorOf prefers a strong ETag, then Last-Modified; ranges need `bytes`', () => {
    expect(lengthOf(res({ 'content-length': '42' }))).toBe(42);
    expect(lengthOf(res({ 'content-length': '4e2' }))).toBeUndefined();
    expect(lengthOf(res({ 'content-length': '-1' }))).toBeUndefined();
    expect(validatorOf(res({ etag: '"abc"', 'last-modified': 'Tue, 01 Dec 2026 00:00:00 GMT' }))).toBe(
      '"abc"',
    );
    expect(validatorOf(res({ etag: 'W/"weak"', 'last-modified': 'Tue, 01 Dec 2026 00:00:00 GMT' }))).toBe(
      'Tue, 01 Dec 2026 00:00:00 GMT',
    );
    expect(validatorOf(res({ etag: 'W/"weak"' }))).toBeUndefined();
    expect(acceptsRanges(res({ 'accept-ranges': 'none, Bytes' }))).toBe(true);
    expect(acceptsRanges(res({ 'accept-ranges': 'none' }))).toBe(false);
    expect(acceptsRanges(res({}))).toBe(false);
  });
});
