import { describe, expect, it } from 'vitest';
import { ResponseBody } from '../../../src/transport/response-body.js';

const body = () => {
  const aborted: Error[] = [];
  const b = new ResponseBody((r) => aborted.push(r), undefined);
  // As getFollowingRedirects does for every body it returns: readers see failures through their own means.
  b.on('error', () => {});
  return { b, aborted };
};

describe('ResponseBody.collect', () => {
  it('takes chunks pushed before and after it is called, and resolves at the end', async () => {
    const { b } = body();
    b.push(Buffer.from('ab'));
    const into: Buffer[] = [];
    const done = b.collect(into, 10);
    b.push(Buffer.from('cde'));
    b.complete();
    expect(await done).toBe(5);
    expect(Buffer.concat(into).toString()).toBe('abcde');
    expect(b.readableEnded).toBe(true);
  });

  it('rejects when the body fails, keeping what arrived', async () => {
    const { b } = body();
    const into: Buffer[] = [];
    const done = b.collect(into, 10);
    b.push(Buffer.from('abc'));
    const cut = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    b.fail(cut);
    await expect(done).rejects.toBe(cut);
    expect(Buffer.concat(into).toString()).toBe('abc');
  });

  it('stops as soon as more than max arrived: destroyed, the request aborted, the extra chunk not kept', async () => {
    const { b, aborted } = body();
    const into: Buffer[] = [];
    const done = b.collect(into, 4);
    b.push(Buffer.from('abc'));
    b.push(Buffer.from('de'));
    expect(await done).toBe(5);
    expect(Buffer.concat(into).toString()).toBe('abc');
    expect(b.destroyed).toBe(true);
    expect(aborted).toHaveLength(1);
  });

  it('rejects at once for a body already destroyed, and says "closed early" for one destroyed without a reason', async () => {
    const { b } = body();
    b.destroy();
    await expect(b.collect([], 4)).rejects.toMatchObject({ failure: 'closed' });
    const second = body().b;
    const pending = second.collect([], 4);
    second.destroy();
    await expect(pending).rejects.toThrow(/closed early/);
  });
});
