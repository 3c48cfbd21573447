import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryTransport } from '../../helpers/memory-transport.js';
import { runOn } from '../../helpers/memory-run.js';

const to = (location: string) => ({ status: 302, headers: { location } });

describe('redirects (memory transport)', () => {
  it('follows up to maxRedirects hops, and fails the entry with ERR_DL_TOO_MANY_REDIRECTS past them', async () => {
    const t = memoryTransport((req) => {
      const hop = Number(new URL(req.url).pathname.slice(2));
      return to(`/r${hop + 1}`);
    });
    const { summary } = await runOn(t, ['http://a.example/r0'], { maxRedirects: 2, retries: 0 });
    const [r] = summary.results;
    expect(r?.status).toBe('failed');
    expect(r?.error?.code).toBe('ERR_DL_TOO_MANY_REDIRECTS');
    // The start, then the two redirects followed; the third is refused without a request.
    expect(t.requests.map((q) => q.url)).toEqual([
      'http://a.example/r0',
      'http://a.example/r1',
      'http://a.example/r2',
    ]);
  });

  it('takes the file from the last hop when the chain is within the limit', async () => {
    const t = memoryTransport((req) => (req.url.endsWith('/r0') ? to('/r1') : { body: 'landed' }));
    const { summary, dir } = await runOn(t, ['http://a.example/r0'], { maxRedirects: 1 });
    expect(summary.downloaded).toBe(1);
    expect(await fs.readFile(path.join(dir, summary.results[0]!.path!), 'utf8')).toBe('landed');
  });

  it('keeps Authorization and Cookie within the origin and drops them when a redirect leaves it', async () => {
    const t = memoryTransport((req) => {
      const u = new URL(req.url);
      if (u.host === 'a.example' && u.pathname === '/start') return to('/same');
      if (u.host === 'a.example' && u.pathname === '/same') return to('http://b.example/other');
      return { body: 'x' };
    });
    const { summary } = await runOn(t, ['http://a.example/start'], {
      headers: ['Authorization: Bearer secret', 'Cookie: k=v', 'X-Kept: yes'],
    });
    expect(summary.downloaded).toBe(1);
    const [start, same, other] = t.requests;
    expect(start?.headers['authorization']).toBe('Bearer secret');
    expect(same?.headers['authorization']).toBe('Bearer secret');
    expect(same?.headers['cookie']).toBe('k=v');
    expect(other?.url).toBe('http://b.example/other');
    expect(other?.headers['authorization']).toBeUndefined();
    expect(other?.headers['cookie']).toBeUndefined();
    expect(other?.headers['x-kept']).toBe('yes');
  });

  it('refuses an https: to http: redirect before any request goes to the http: URL', async () => {
    const t = memoryTransport(() => to('http://b.example/plain'));
    const { summary } = await runOn(t, ['https://a.example/f'], { retries: 0 });
    expect(summary.results[0]?.error?.code).toBe('ERR_DL_INSECURE_REDIRECT');
    expect(t.requests.map((q) => q.url)).toEqual(['https://a.example/f']);
  });
});
