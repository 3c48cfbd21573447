import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { DlpoolError } from '../../../src/errors.js';
import { redisReason, redisTarget, watchOutages } from '../../../src/queue/redis.js';

describe('redisTarget', () => {
  it('shows the URL without user or password, and keeps the password to cut it out of messages', () => {
    const t = redisTarget('redis://someone:s3cret%2Fpw@10.0.0.5:6380/2', 3000);
    expect(t).toMatchObject({ shown: 'redis://10.0.0.5:6380/2', secret: 's3cret/pw', timeoutMs: 3000 });
    expect(redisTarget('rediss://h').shown).toBe('rediss://h');
    expect(redisTarget('redis://h').timeoutMs).toBe(10_000);
  });

  it.each(['notaurl', 'http://127.0.0.1:6379', 'redis://', '127.0.0.1:6379'])(
    'refuses %s as --redis (ERR_DL_USAGE)',
    (url) => {
      expect(() => redisTarget(url)).toThrow(/^--redis: expected redis:\/\//);
    },
  );

  it('never quotes a password back, not even from a URL that does not parse', () => {
    for (const url of ['http://u:PW1@h', 'redis://u:PW2@', 'redis://u:PW3@h\x00:x']) {
      try {
        redisTarget(url);
        throw new Error('accepted');
      } catch (err) {
        expect(err).toBeInstanceOf(DlpoolError);
        expect((err as DlpoolError).code).toBe('ERR_DL_USAGE');
        expect((err as Error).message).not.toMatch(/PW/);
      }
    }
  });

  it.each([0, -1, 0.5, Number.NaN, Infinity, 2 ** 31])('refuses a timeout of %s ms', (s) => {
    expect(() => redisTarget('redis://h', s)).toThrow(
      /^redisTimeoutMs: expected a whole number from 1 to 2147483647, /,
    );
  });
});

describe('redisReason', () => {
  const t = redisTarget('redis://u:hunter22@h', 2000);
  const err = (message: string, code?: string) => Object.assign(new Error(message), code ? { code } : {});

  it('names network failures in words, and a wait that ran out', () => {
    expect(redisReason(err('connect ECONNREFUSED 127.0.0.1:6399', 'ECONNREFUSED'), t)).toBe(
      'connection refused',
    );
    expect(redisReason(err('getaddrinfo ENOTFOUND x', 'ENOTFOUND'), t)).toBe('host not found');
    expect(redisReason(undefined, t)).toBe('no answer within 2 s');
  });

  it('says what Redis said about a password in words of its own', () => {
    expect(redisReason(err('WRONGPASS invalid username-password pair or user is disabled.'), t)).toBe(
      'authentication failed (WRONGPASS: wrong user name or password)',
    );
    expect(redisReason(err('NOAUTH Authentication required.'), t)).toMatch(/^authentication failed \(NOAUTH/);
  });

  it('cuts the password out of anything else Redis says', () => {
    expect(redisReason(err('ERR unknown thing hunter22'), t)).toBe('ERR unknown thing ***');
  });
});

describe('watchOutages', () => {
  it('says each outage once, with its reason, and the next one again once Redis was back', () => {
    const client = new EventEmitter();
    const said: string[] = [];
    const stop = watchOutages(client as unknown as Redis, redisTarget('redis://h'), (r) => said.push(r));
    client.emit('close');
    client.emit('error', Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }));
    client.emit('close');
    client.emit('close');
    expect(said).toEqual(['connection closed']);
    client.emit('ready');
    client.emit('error', Object.assign(new Error('reset'), { code: 'ECONNRESET' }));
    client.emit('close');
    client.emit('close');
    expect(said).toEqual(['connection closed', 'connection reset']);
    stop();
    client.emit('ready');
    client.emit('close');
    expect(said).toHaveLength(2);
  });
});
