import { describe, expect, it } from 'vitest';
import { entryHeaders, retryPolicyOf, timeoutOf } from '../../../src/policy/entry-settings.js';
import type { Job } from '../../../src/jobs/job.js';
import { normalizeOptions } from '../../../src/options.js';
import type { ListEntry } from '../../../src/sources/types.js';

function job(url: string, entry: Partial<ListEntry>): Job {
  const u = new URL(url);
  return {
    id: 1,
    url: u,
    displayUrl: url,
    mirrors: [],
    source: 'list.txt',
    line: 1,
    entry: { kind: 'entry', url, source: 'list.txt', line: 1, options: {}, ...entry },
    rel: 'x',
    host: u.host,
  };
}

const RUN = Object.freeze({ 'user-agent': 'dlpool/x', 'x-run': 'r' });
const ALICE = `Basic ${Buffer.from('alice:pw').toString('base64')}`;

describe('entryHeaders', () => {
  it("is the run's own object for an entry without settings of its own", () => {
    expect(entryHeaders(job('http://h/x', {}), RUN, new URL('http://h/x'))).toBe(RUN);
  });

  it("puts the entry's headers over the run's of the same name", () => {
    const j = job('http://h/x', { headers: { 'x-run': 'entry', referer: 'http://r/' } });
    expect(entryHeaders(j, RUN, j.url)).toEqual({
      'user-agent': 'dlpool/x',
      'x-run': 'entry',
      referer: 'http://r/',
    });
  });

  it("sends http-user=/http-passwd= to the entry URL's scheme, host and port only", () => {
    const j = job('https://h:8443/x', { httpUser: 'alice', httpPassword: 'pw' });
    const auth = (target: string) => entryHeaders(j, RUN, new URL(target))['authorization'];
    expect(auth('https://h:8443/x')).toBe(ALICE);
    expect(auth('https://h:8443/other')).toBe(ALICE);
    // A mirror elsewhere: another port, another host, the same host over http:.
    expect(auth('https://h:9443/x')).toBeUndefined();
    expect(auth('https://g:8443/x')).toBeUndefined();
    expect(auth('http://h:8443/x')).toBeUndefined();
    // Credentials in the URL itself win (getFollowingRedirects sends them).
    expect(auth('https://bob:pw2@h:8443/x')).toBeUndefined();
  });

  it("leaves an entry's own header=Authorization: as given, and replaces the run's", () => {
    const own = job('http://h/x', {
      httpUser: 'alice',
      httpPassword: 'pw',
      headers: { authorization: 'Bearer t' },
    });
    expect(entryHeaders(own, RUN, own.url)['authorization']).toBe('Bearer t');
    const run = { ...RUN, authorization: 'Bearer run' };
    const j = job('http://h/x', { httpUser: 'alice', httpPassword: 'pw' });
    expect(entryHeaders(j, run, j.url)['authorization']).toBe(ALICE);
  });
});

describe('retryPolicyOf and timeoutOf', () => {
  const opts = normalizeOptions({ retries: 3, timeoutMs: 5000 });
  it("are the run's without max-tries= and timeout=, the entry's with them", () => {
    expect(retryPolicyOf(job('http://h/x', {}), opts)).toBe(opts.retry);
    expect(retryPolicyOf(job('http://h/x', { retries: 0 }), opts)).toEqual({ ...opts.retry, retries: 0 });
    expect(timeoutOf(job('http://h/x', {}), opts)).toBe(5000);
    expect(timeoutOf(job('http://h/x', { timeoutMs: 250 }), opts)).toBe(250);
  });
});
