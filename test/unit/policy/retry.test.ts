import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { transportError } from '../../../src/transport/failure.js';
import { memoryTransport } from '../../helpers/memory-transport.js';
import { runOn } from '../../helpers/memory-run.js';

describe('retries (memory transport)', () => {
  it('waits out a 503’s Retry-After (on the run’s clock), then downloads', async () => {
    const t = memoryTransport((_req, n) =>
      n === 0 ? { status: 503, headers: { 'retry-after': '7' }, body: 'busy' } : { body: 'fine' },
    );
    const { summary, slept, dir, events } = await runOn(t, ['http://a.example/f.bin']);
    expect(summary.downloaded).toBe(1);
    expect(summary.results[0]?.attempts).toBe(2);
    expect(slept).toEqual([7000]);
    const retry = events.find((e) => e.type === 'retry');
    expect(retry).toMatchObject({ delayMs: 7000, error: { code: 'ERR_DL_HTTP_STATUS' } });
    expect(await fs.readFile(path.join(dir, 'f.bin'), 'utf8')).toBe('fine');
  });

  it('does not retry a 404, and retries a refused connection as ERR_DL_NETWORK until --retries runs out', async () => {
    const missing = memoryTransport(() => ({ status: 404, body: 'no' }));
    const a = await runOn(missing, ['http://a.example/x']);
    expect(a.summary.results[0]?.error?.code).toBe('ERR_DL_HTTP_STATUS');
    expect(missing.requests).toHaveLength(1);

    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:80'), {
      code: 'ECONNREFUSED',
      errno: 'ECONNREFUSED',
    });
    const down = memoryTransport(() => ({ error: refused }));
    const b = await runOn(down, ['http://a.example/x'], { retries: 2 });
    expect(b.summary.results[0]?.error?.code).toBe('ERR_DL_NETWORK');
    expect(down.requests).toHaveLength(3);
  });

  it('maps a transport timeout onto a TimeoutError with its phase', async () => {
    const t = memoryTransport(() => ({ error: transportError('headers-timeout', 'headers timeout') }));
    const { summary } = await runOn(t, ['http://a.example/x'], { retries: 0 });
    expect(summary.results[0]?.error).toMatchObject({ code: 'ERR_DL_TIMEOUT' });
  });
});
