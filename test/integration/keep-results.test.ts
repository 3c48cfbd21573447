import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { download } from '../../src/download.js';
import type { FileResult } from '../../src/events.js';
import { startServer, type TestServer } from '../helpers/http.js';
import { engine, FAST_RETRY, MODES, tmpDir } from '../helpers/tmp.js';

let server: TestServer;
beforeAll(async () => {
  // Each `/flaky/N` fails its first request, so every run has one retry to count.
  const failedOnce = new Set<string>();
  server = await startServer((req, res) => {
    const url = req.url ?? '';
    if (url === '/missing') res.writeHead(404, { 'content-length': '0' }).end();
    else if (url.startsWith('/flaky/') && !failedOnce.has(url)) {
      failedOnce.add(url);
      res.writeHead(503, { 'content-length': '0' }).end();
    } else res.writeHead(200, { 'content-length': '5' }).end('hello');
  });
});
afterAll(async () => {
  await server.close();
});

let runs = 0;

describe.each(MODES)('keepResults (%s mode)', (mode) => {
  async function run(keepResults: boolean | undefined) {
    const dir = await tmpDir();
    const seen: FileResult[] = [];
    const urls = ['/a', '/b', `/flaky/${++runs}`, '/missing'].map((p) => `${server.url}${p}`);
    const summary = await download({
      ...engine(mode),
      entries: urls,
      dir,
      retry: { ...FAST_RETRY, retries: 1 },
      ...(keepResults === undefined ? {} : { keepResults }),
      onEvent: (e) => {
        if (e.type === 'result') seen.push(e.result);
      },
    });
    return { dir, summary, seen };
  }

  it('keeps every result by default, as the result events gave them', async () => {
    const { summary, seen } = await run(undefined);
    expect(summary.results).toHaveLength(4);
    expect(summary.results).toEqual(seen);
  });

  it('keeps none with keepResults: false, and the counts stay exact', async () => {
    const { dir, summary, seen } = await run(false);
    expect(summary.results).toEqual([]);
    expect(seen).toHaveLength(4);
    expect(summary).toMatchObject({ downloaded: 3, skipped: 0, failed: 1, bytes: 15, retries: 1 });
    expect(await fs.readFile(path.join(dir, String(runs)), 'utf8')).toBe('hello');
  });
});
