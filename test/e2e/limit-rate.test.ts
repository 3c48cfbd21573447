import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type RunningServer } from '../../src/server/index.js';
import { runCli } from '../helpers/cli.js';
import { listFiles, MODES, tmpDir } from '../helpers/tmp.js';

let server: RunningServer;
beforeAll(async () => {
  server = await createServer({});
});
afterAll(async () => {
  await server.close();
});

const MiB = 1024 * 1024;

interface Totals {
  transferred: number;
  elapsedMs: number;
  downloaded: number;
}

/** `dlpool URLS --limit-rate RATE --json`: the run's totals, and its average in bytes per second. */
async function limited(urls: string[], rate: string, extra: string[] = []) {
  const dir = await tmpDir();
  const r = await runCli([...urls, '-d', dir, '--limit-rate', rate, '--json', ...extra]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const doc = JSON.parse(r.stdout) as Totals;
  return { doc, files: await listFiles(dir), average: doc.transferred / (doc.elapsedMs / 1000) };
}

describe.each(MODES)('--limit-rate (%s mode)', (mode) => {
  // The run's own clock (elapsedMs, from before the first request to the last file): a loaded machine can only
  // make it longer, so "at or below the rate" cannot flake; the upper bound on time is generous.
  it('keeps the average over the run at or below the rate, from the first byte to the last', async () => {
    const urls = [1, 2, 3, 4].map((i) => `${server.url}gen/512K/f${i}.bin`);
    const { doc, files, average } = await limited(urls, '1M', ['--mode', mode, '-w', '2']);
    expect(files).toHaveLength(4);
    expect(doc.transferred).toBe(2 * MiB);
    expect(average, `${doc.elapsedMs} ms`).toBeLessThanOrEqual(MiB);
    expect(doc.elapsedMs).toBeLessThan(20_000);
  });

  it('one file alone: its average is at or below the rate too', async () => {
    const { doc, average } = await limited([`${server.url}gen/1536K/one.bin`], '1M', [
      '--mode',
      mode,
      '-w',
      '1',
    ]);
    expect(doc.transferred).toBe(1.5 * MiB);
    expect(average, `${doc.elapsedMs} ms`).toBeLessThanOrEqual(MiB);
  });
});

describe('--limit-rate values', () => {
  it('takes decimals, such as 0.5M (as wget does)', async () => {
    const { doc, average } = await limited([`${server.url}gen/768K/dec.bin`], '0.5M');
    expect(doc.downloaded).toBe(1);
    expect(average, `${doc.elapsedMs} ms`).toBeLessThanOrEqual(0.5 * MiB);
  });

  it('takes 0 as no limit (as curl does)', async () => {
    const { doc } = await limited([`${server.url}gen/2M/zero.bin`], '0');
    expect(doc.transferred).toBe(2 * MiB);
  });
});
