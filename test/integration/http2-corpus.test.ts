import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { download } from '../../src/download.js';
import { synthBytes } from '../../src/server/synth.js';
import { type H2TestServer, startH2FileServer } from '../helpers/h2.js';
import { TEST_CA_FILE } from '../helpers/http.js';
import { engine, listFiles, MODES, tmpDir } from '../helpers/tmp.js';

// The bench corpus scaled down (its `small` and `big` sets: many 16 KiB files and a few large ones), downloaded
// with --http2 from a TLS server on 127.0.0.1 offering h2 by ALPN, as a list file with a sha256sum file beside
// it: every file arrives whole, every digest matches, and every request came over HTTP/2.

const KiB = 1024;
const MiB = 1024 * KiB;
const SMALL = { count: 200, size: 16 * KiB };
const BIG = { count: 2, size: 16 * MiB };

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const servers: H2TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** The corpus as [URL path, file name, size]: the server makes each file's bytes from its path. */
function corpus(): [string, string, number][] {
  const small = Array.from({ length: SMALL.count }, (_, i) => `s${String(i).padStart(4, '0')}.bin`);
  const big = Array.from({ length: BIG.count }, (_, i) => `b${i}.bin`);
  return [
    ...small.map((n) => [`/${SMALL.size}/${n}`, n, SMALL.size] as [string, string, number]),
    ...big.map((n) => [`/${BIG.size}/${n}`, n, BIG.size] as [string, string, number]),
  ];
}

describe.each(MODES)('%s mode', (mode) => {
  it(`downloads ${SMALL.count} small and ${BIG.count} big files over HTTP/2, each checked against its sha256`, async () => {
    const s = await startH2FileServer();
    servers.push(s);
    const files = corpus();
    const work = await tmpDir();
    const list = path.join(work, 'corpus.txt');
    const sums = path.join(work, 'SHA256SUMS');
    const digests = new Map(files.map(([p, name, size]) => [name, sha256(synthBytes(p, 0, size))]));
    await fs.writeFile(list, files.map(([p]) => `${s.url}${p}\n`).join(''));
    await fs.writeFile(sums, [...digests].map(([name, hex]) => `${hex}  ${name}\n`).join(''));
    const dir = path.join(work, 'out');
    const summary = await download({
      ...engine(mode),
      sources: [list],
      dir,
      caCertificate: TEST_CA_FILE,
      http2: true,
      checksums: sums,
      requireChecksum: true,
      concurrency: 16,
      retries: 0,
    });
    expect(summary.errors).toEqual([]);
    expect({
      downloaded: summary.downloaded,
      failed: summary.failed,
      unverified: summary.unverified,
    }).toEqual({
      downloaded: files.length,
      failed: 0,
      unverified: 0,
    });
    expect(summary.results.every((r) => r.digest?.hex === digests.get(path.basename(r.path ?? '')))).toBe(
      true,
    );
    // The bytes on disk, read back: each file's own sha256, and nothing else in the folder.
    expect((await listFiles(dir)).sort()).toEqual(files.map(([, name]) => name).sort());
    for (const [, name] of files) {
      expect(sha256(await fs.readFile(path.join(dir, name))), name).toBe(digests.get(name));
    }
    // Every request over h2, one per file, on at most -j sessions.
    expect([...new Set(s.requests.map((r) => r.version))]).toEqual(['2.0']);
    expect(s.requests).toHaveLength(files.length);
    expect(s.sessions).toBeGreaterThanOrEqual(1);
    expect(s.sessions).toBeLessThanOrEqual(16);
  }, 120_000);
});
