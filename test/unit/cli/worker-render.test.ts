import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { WorkerRenderer } from '../../../src/cli/render/worker.js';

describe('dlpool worker -v', () => {
  it("prints each shard's header lines on stderr as [shard:entry], terminal-safe, with -q too", () => {
    const err = new PassThrough();
    const out = new PassThrough();
    let text = '';
    err.setEncoding('utf8').on('data', (d: string) => (text += d));
    const r = new WorkerRenderer({ out, err, columns: undefined }, true, true, '');
    r.onEvent(7, {
      type: 'headers',
      id: 3,
      url: 'http://h/a',
      lines: ['> GET /a HTTP/1.1', '< x-evil: \x1b[31m'],
    });
    r.stop();
    expect(text).toBe('[7:3] > GET /a HTTP/1.1\n[7:3] < x-evil: \\x1b[31m\n');
  });
});
