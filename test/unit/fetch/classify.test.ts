import { describe, expect, it } from 'vitest';
import { classifyNetworkError } from '../../../src/transport/classify.js';
import { isRetryable } from '../../../src/policy/retry.js';

const ctx = { url: 'http://host.example/x', attempt: 1, connectTimeoutMs: 1000, timeoutMs: 1000 };
/** What undici throws for a failed connect: its own wrapper with the socket's errno as the cause. */
const connectError = (code: string) =>
  Object.assign(new Error(`getaddrinfo ${code} host.example`), { code, errno: code, syscall: 'getaddrinfo' });

describe('classifyNetworkError: what is worth a retry', () => {
  it('a host that does not exist (ENOTFOUND) is final, as in curl: ERR_DL_DNS', () => {
    const e = classifyNetworkError(connectError('ENOTFOUND'), ctx);
    expect(e.code).toBe('ERR_DL_DNS');
    expect(e.message).toMatch(/ENOTFOUND/);
    expect(isRetryable(e)).toBe(false);
  });

  it('also when the errno hides under a wrapper', () => {
    const wrapped = Object.assign(new Error('fetch failed'), { cause: connectError('ENOTFOUND') });
    expect(classifyNetworkError(wrapped, ctx).code).toBe('ERR_DL_DNS');
  });

  it.each(['EAI_AGAIN', 'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE'])(
    '%s (may pass: a DNS server that did not answer, a restart, a blip) is retried as ERR_DL_NETWORK',
    (code) => {
      const e = classifyNetworkError(connectError(code), ctx);
      expect(e.code).toBe('ERR_DL_NETWORK');
      expect(isRetryable(e)).toBe(true);
    },
  );
});
