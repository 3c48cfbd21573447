import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { download } from '../../src/index.js';
import { synthBytes } from '../../src/server/synth.js';
import type { TestServer } from '../helpers/http.js';
import { engine, FAST_RETRY, listFiles, MODES, tmpDir } from '../helpers/tmp.js';
import { type Served, versionedServer } from '../helpers/versioned-server.js';

const KiB = 1024;
/** Bodies compared by digest: a deep equality of two 600 KiB Buffers takes seconds. */
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const LAST_MODIFIED = 'Mon, 01 Jan 2024 10:20:30 GMT';
const LM_MS = Date.parse(LAST_MODIFIED);

/** Sizes that take each way to the disk: whole in memory, streamed, and in ranges over -x 4. */
function files(): Map<string, Served> {
  const f = (name: string, size: number, more: Partial<Served> = {}): [string, Served] => [
    `/${name}`,
    { body: synthBytes(name, 0, size), etag: `"${name}-1"`, lastModified: LAST_MODIFIED, ...more },
  ];
  return new Map([
    f('small.bin', 4 * KiB),
    f('streamed.bin', 600 * KiB),
    f('split.bin', 1024 * KiB),
    f('none.bin', 4 * KiB, { lastModified: undefined }),
    f('invalid.bin', 4 * KiB, { lastModified: 'yesterday, more or less' }),
  ]);
}

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const mtimeOf = async (p: string) => (await fs.stat(p)).mtimeMs;

describe.each(MODES)('--remote-time (%s)', (mode) => {
  it("gives each file the server's Last-Modified, whole, streamed and split (-x), and local time without one", async () => {
    const served = files();
    server = await versionedServer(served);
    const dir = await tmpDir();
    const before = Date.now();
    const s = await download({
      ...engine(mode),
      sources: [...served.keys()].map((p) => `${server!.url}${p}`),
      dir,
      split: 4,
      minSplitSizeBytes: 64 * KiB,
    });
    const after = Date.now();
    expect(s.failed).toBe(0);
    expect(await listFiles(dir)).toEqual([
      'invalid.bin',
      'none.bin',
      'small.bin',
      'split.bin',
      'streamed.bin',
    ]);
    // The split one did go in ranges.
    expect(server.requests.filter((r) => r.path === '/split.bin' && r.headers.range).length).toBeGreaterThan(
      0,
    );
    for (const name of ['small.bin', 'streamed.bin', 'split.bin']) {
      expect({ name, mtime: await mtimeOf(path.join(dir, name)) }).toEqual({ name, mtime: LM_MS });
      expect(sha(await fs.readFile(path.join(dir, name)))).toBe(sha(served.get(`/${name}`)!.body));
    }
    for (const name of ['none.bin', 'invalid.bin']) {
      const t = await mtimeOf(path.join(dir, name));
      // (Whole seconds on some file systems.)
      expect(t).toBeGreaterThanOrEqual(before - 1000);
      expect(t).toBeLessThanOrEqual(after + 1000);
    }
  });

  it('a download resumed after a cut gets the Last-Modified too', async () => {
    const served = files();
    const streamed = served.get('/streamed.bin')!;
    streamed.cutAfter = 200 * KiB;
    server = await versionedServer(served);
    const dir = await tmpDir();
    const s = await download({
      ...engine(mode),
      sources: [`${server.url}/streamed.bin`],
      dir,
      retry: FAST_RETRY,
    });
    expect(s.results[0]).toMatchObject({ status: 'downloaded', resumed: true });
    expect(sha(await fs.readFile(path.join(dir, 'streamed.bin')))).toBe(sha(streamed.body));
    expect(await mtimeOf(path.join(dir, 'streamed.bin'))).toBe(LM_MS);
  });

  it('remoteTime: false (--no-remote-time) keeps the local time', async () => {
    const served = files();
    server = await versionedServer(served);
    const dir = await tmpDir();
    const before = Date.now();
    const s = await download({
      ...engine(mode),
      sources: ['small.bin', 'streamed.bin', 'split.bin'].map((n) => `${server!.url}/${n}`),
      dir,
      split: 4,
      minSplitSizeBytes: 64 * KiB,
      remoteTime: false,
    });
    expect(s.failed).toBe(0);
    for (const name of ['small.bin', 'streamed.bin', 'split.bin'])
      expect(await mtimeOf(path.join(dir, name))).toBeGreaterThanOrEqual(before - 1000);
  });
});
