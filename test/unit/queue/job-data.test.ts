import { describe, expect, it } from 'vitest';
import {
  BadRecord,
  checkShardJob,
  checkShardResult,
  checkShardSummary,
  MAX_SHARD_BYTES,
  parseRecord,
} from '../../../src/queue/job-data.js';

const HEX = 'ab'.repeat(32);
const good = {
  list: '/lists/urls.txt',
  listHash: HEX,
  shard: 2,
  of: 5,
  size: 10,
  offset: 100,
  end: 200,
  firstLine: 21,
  bytes: HEX,
};

function refused(data: unknown): string {
  try {
    checkShardJob(data);
  } catch (err) {
    expect(err).toBeInstanceOf(BadRecord);
    return (err as Error).message;
  }
  throw new Error('accepted');
}

describe('checkShardJob', () => {
  it('takes the job queue add writes, names included', () => {
    expect(checkShardJob(good)).toEqual(good);
    const names = { 21: 'a.1.bin', 30: 'sub/b.1.bin' };
    expect(checkShardJob({ ...good, names }).names).toEqual(names);
  });

  it.each([
    ['job data', null],
    ['job data', [good]],
    ['list', { ...good, list: '' }],
    ['list', { ...good, list: 42 }],
    ['list', { ...good, list: 'a\0b' }],
    ['list', { ...good, list: 'x'.repeat(5000) }],
    ['listHash', { ...good, listHash: HEX.toUpperCase() }],
    ['bytes', { ...good, bytes: 'abc' }],
    ['of', { ...good, of: 0 }],
    ['shard', { ...good, shard: 5 }],
    ['shard', { ...good, shard: -1 }],
    ['shard', { ...good, shard: '2' }],
    ['size', { ...good, size: 1.5 }],
    ['offset', { ...good, offset: '100' }],
    ['offset', { ...good, offset: -1 }],
    // offset = end: the byte check would hash nothing.
    ['end', { ...good, end: 100 }],
    ['end', { ...good, end: 50 }],
    ['end', { ...good, end: 100 + MAX_SHARD_BYTES + 1 }],
    ['end', { ...good, end: 2 ** 60 }],
    ['firstLine', { ...good, firstLine: 1 }],
    ['names', { ...good, names: ['a'] }],
    ['names', { ...good, names: { 0: 'a' } }],
    ['names', { ...good, names: { 20: 'a' } }],
    ['names', { ...good, names: { 31: 'a' } }],
    ['names', { ...good, names: { '021': 'a' } }],
    ['names', { ...good, names: { 22: 7 } }],
    ['names', { ...good, names: { 22: '' } }],
    ['sneaky', { ...good, sneaky: 1 }],
  ])('refuses a bad %s, naming it first', (field, data) => {
    expect(refused(data).startsWith(field === 'names' ? 'names' : `${field}:`)).toBe(true);
  });

  it('never quotes the value it refuses (it may be anything someone wrote)', () => {
    expect(refused({ ...good, list: '\x1b[2J'.repeat(2000) })).not.toContain('\x1b');
    expect(refused({ ...good, shard: '\x1b[31m' })).not.toContain('\x1b');
    expect(refused({ ...good, names: { 22: '\x1b'.repeat(5000) } })).not.toContain('\x1b');
  });
});

describe('checkShardResult and checkShardSummary', () => {
  const result = {
    shard: 0,
    count: 2,
    downloaded: 1,
    skipped: 0,
    failed: [{ url: 'http://h/x', line: 2, code: 'ERR_DL_HTTP_STATUS', message: '404 Not Found' }],
    sums: `${HEX}  a.bin\n\\${HEX}  b\\nc.bin\nSHA1 (c.bin) = ${'0'.repeat(40)}\n`,
    bytes: 5,
  };

  it('takes what a worker writes', () => {
    expect(checkShardResult(result)).toEqual(result);
    expect(checkShardResult({ ...result, sums: '', failed: [] }).sums).toBe('');
    const summary = { list: '/l', shard: 0, count: 2, failed: 1, bytes: 5, redelivered: 0 };
    expect(checkShardSummary(summary)).toEqual(summary);
  });

  it.each([
    ['count', { ...result, count: '\x1b[2J' }],
    ['bytes', { ...result, bytes: -1 }],
    ['failed', { ...result, failed: 'x' }],
    ['failed', { ...result, failed: [{ ...result.failed[0], code: 'EVIL' }] }],
    ['line', { ...result, failed: [{ ...result.failed[0], line: 0 }] }],
    ['sums', { ...result, sums: `${HEX}  a.bin` }],
    ['sums', { ...result, sums: `${HEX}  a.bin\n\x1b]0;title\x07\n` }],
    ['sums', { ...result, sums: `${HEX}  a\x9bb.bin\n` }],
  ])('refuses a result with a bad %s', (field, data) => {
    expect(() => checkShardResult(data)).toThrow(new RegExp(`^${field}`));
  });

  it('refuses a summary whose counts are not counts, and text that is not JSON', () => {
    expect(() =>
      checkShardSummary({ list: '/l', shard: 0, count: '2', failed: 0, bytes: 0, redelivered: 0 }),
    ).toThrow(/^count/);
    expect(() => parseRecord('{"shard":', checkShardSummary)).toThrow(/not JSON/);
  });
});
