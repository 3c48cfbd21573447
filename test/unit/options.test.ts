import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_WORKERS, MAX_DELAY_MS, normalizeOptions, parseHeaders } from '../../src/options.js';

describe('normalizeOptions', () => {
  it('fills every default in one place', () => {
    const o = normalizeOptions({ proxy: 'none' });
    expect(o).toMatchObject({
      dir: path.resolve('.'),
      concurrency: 16,
      perHost: 16,
      maxRedirects: 10,
      allowInsecureRedirects: false,
      caCertificate: undefined,
      insecure: false,
      http2: false,
      connectTimeoutMs: 10_000,
      timeoutMs: 30_000,
      retry: { retries: 5 },
      overwrite: false,
      contentDisposition: false,
      mode: 'async',
      writeHighWaterMark: 1024 * 1024,
      keepResults: true,
    });
    expect(o.userAgent).toMatch(/^dlpool\/\d+\.\d+\.\d+/);
  });

  it('rejects unknown keys and bad values with the option name first', () => {
    expect(() => normalizeOptions({ concurency: 3 } as never)).toThrow(/^concurency: unknown option/);
    expect(() => normalizeOptions({ concurrency: 0 })).toThrow(/^concurrency: /);
    expect(() => normalizeOptions({ concurrency: 1.5 })).toThrow(/^concurrency: /);
    expect(() => normalizeOptions({ timeoutMs: -1 })).toThrow(/^timeoutMs: /);
    expect(() => normalizeOptions({ retry: { tries: 1 } as never })).toThrow(/^retry\.tries: unknown/);
    expect(() => normalizeOptions({ mode: 'fibers' as never })).toThrow(/^mode: /);
    expect(() => normalizeOptions({ userAgent: 'a\r\nX-Evil: 1' })).toThrow(/^userAgent: /);
    expect(() => normalizeOptions({ hash: 'nope' })).toThrow(/^hash: unknown/);
    expect(() => normalizeOptions({ allowInsecureRedirects: 'yes' as never })).toThrow(
      /^allowInsecureRedirects: /,
    );
    expect(() => normalizeOptions({ caCertificate: '' })).toThrow(/^caCertificate: /);
    expect(() => normalizeOptions({ insecure: 1 as never })).toThrow(/^insecure: /);
    expect(() => normalizeOptions({ http2: 'h2' as never })).toThrow(/^http2: /);
    expect(() => normalizeOptions({ keepResults: 'no' as never })).toThrow(/^keepResults: /);
  });

  it('rejects hashes node:crypto lists but OpenSSL 3 cannot run (legacy provider)', async () => {
    const crypto = await import('node:crypto');
    const legacy = crypto.getHashes().find((h) => {
      try {
        crypto.createHash(h);
        return false;
      } catch {
        return true;
      }
    });
    // Where every listed hash works there is nothing to reject; this machine lists whirlpool and md4.
    if (legacy !== undefined) expect(() => normalizeOptions({ hash: legacy })).toThrow(/^hash: /);
    expect(normalizeOptions({ hash: 'SHA3-512' }).hash).toBe('sha3-512');
  });

  it('caps --per-host at -j', () => {
    expect(normalizeOptions({ concurrency: 4, perHost: 10 }).perHost).toBe(4);
  });

  it('reads proxies from the environment it is given, like curl; never from process.env itself', () => {
    const env = { HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: 'localhost,127.0.0.1' };
    expect(normalizeOptions({ env }).proxy).toMatchObject({
      httpsProxy: 'http://proxy:3128',
      noProxy: 'localhost,127.0.0.1',
    });
    expect(normalizeOptions({ env, proxy: 'none' }).proxy).toBeUndefined();
    const saved = { ...process.env };
    try {
      process.env['HTTPS_PROXY'] = 'http://proxy:3128';
      // The library reads no environment of its own (only src/cli touches process).
      expect(normalizeOptions({}).proxy).toBeUndefined();
    } finally {
      process.env = saved;
    }
  });

  it('defaults worker pools to half the cores', () => {
    expect(DEFAULT_WORKERS).toBe(Math.max(1, Math.floor(os.availableParallelism() / 2)));
  });
});

describe('parseHeaders', () => {
  it('parses curl-style header strings', () => {
    expect(parseHeaders(['X-One: 1', 'Accept:  text/plain '])).toEqual({
      'x-one': '1',
      accept: 'text/plain',
    });
    expect(() => parseHeaders(['no colon'])).toThrow(/^headers: /);
    expect(() => parseHeaders([': empty'])).toThrow(/^headers: /);
    // A header without its colon is echoed by its first word only: the rest may be a secret.
    expect(() => parseHeaders(['Authorization Bearer s3cret-token'])).toThrow(/got "Authorization …"$/);
    expect(() => parseHeaders(['Authorization Bearer s3cret-token'])).not.toThrow(/s3cret/);
  });
});

describe('normalizeOptions: shards', () => {
  it('a shard read from its offset must start at its own first line; settled names become a map', () => {
    const o = normalizeOptions({
      shardSize: 10,
      shard: { index: 2, count: 5, start: { offset: 123, line: 21 }, names: { 25: 'a.1.bin' } },
    });
    expect(o.shards).toEqual({
      size: 10,
      index: 2,
      count: 5,
      start: { offset: 123, line: 21 },
      names: new Map([[25, 'a.1.bin']]),
    });
    expect(() =>
      normalizeOptions({ shardSize: 10, shard: { index: 2, count: 5, start: { offset: 0, line: 11 } } }),
    ).toThrow(/shard\.start: expected a byte offset >= 0 and line 21 \(shard 2 of 10 lines\), got 0 and 11/);
    expect(() =>
      normalizeOptions({ shardSize: 10, shard: { index: 0, count: 1, start: { offset: -1, line: 1 } } }),
    ).toThrow(/shard\.start/);
    expect(() =>
      normalizeOptions({ shard: { index: 0, count: 1, start: { offset: 0, line: 1 }, names: { 3: '' } } }),
    ).toThrow(/shard\.names: line 3 has no name/);
    const names = { x: 'a.bin' } as unknown as Record<number, string>;
    expect(() =>
      normalizeOptions({ shard: { index: 0, count: 1, start: { offset: 0, line: 1 }, names } }),
    ).toThrow(/shard\.names: 'x' is not a line number/);
    expect(() => normalizeOptions({ shard: { index: 0, count: 1, names: { 3: 'a.1.bin' } } })).toThrow(
      /shard\.names: only with shard\.start/,
    );
  });
});

describe('normalizeOptions: delays and rates', () => {
  it('refuses delays longer than a timer holds and absurd rates, naming the option', () => {
    expect(() => normalizeOptions({ hostRate: 1e-300 })).toThrow(
      /^hostRate: expected requests per second from/,
    );
    expect(() => normalizeOptions({ hostRate: Infinity })).toThrow(/^hostRate: /);
    expect(normalizeOptions({ hostRate: 1 / 86_400 }).hostRate).toBe(1 / 86_400);
    expect(() => normalizeOptions({ speedTimeMs: 99_999_999_999_000 })).toThrow(
      /^speedTimeMs: .* 2147483647/,
    );
    expect(() => normalizeOptions({ timeoutMs: 2 ** 31 })).toThrow(/^timeoutMs: /);
    expect(() => normalizeOptions({ connectTimeoutMs: 2 ** 31 })).toThrow(/^connectTimeoutMs: /);
    expect(() => normalizeOptions({ retry: { maxRetryAfterMs: 2 ** 31 } })).toThrow(
      /^retry\.maxRetryAfterMs: /,
    );
    expect(() => normalizeOptions({ retry: { maxDelayMs: 2 ** 31 } })).toThrow(/^retry\.maxDelayMs: /);
    expect(normalizeOptions({ timeoutMs: MAX_DELAY_MS }).timeoutMs).toBe(MAX_DELAY_MS);
  });
});
