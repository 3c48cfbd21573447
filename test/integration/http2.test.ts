import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { download } from '../../src/download.js';
import { synthBytes } from '../../src/server/synth.js';
import { virtualClock } from '../helpers/clock.js';
import { type H2TestServer, startH2FileServer } from '../helpers/h2.js';
import { startServer, TEST_CA_FILE, type TestServer } from '../helpers/http.js';
import { engine, FAST_RETRY, listFiles, MODES, tmpDir } from '../helpers/tmp.js';

// --http2: every scenario that applies over HTTP/1.1 (whole files with their digest, a resume after a body cut by
// RST_STREAM or by the connection dropping, -x ranges, redirects and the credentials rule, 503 + Retry-After, a
// stall hitting --timeout) against a node:http2 server offering h2 and http/1.1 by ALPN; the server says which
// version each request came over.

const KiB = 1024;

const servers: (H2TestServer | TestServer)[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
const h2Files = async (...args: Parameters<typeof startH2FileServer>) => {
  const s = await startH2FileServer(...args);
  servers.push(s);
  return s;
};

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const onDisk = (dir: string, name: string) => fs.readFile(path.join(dir, name));
const versions = (s: H2TestServer) => [...new Set(s.requests.map((r) => r.version))];

describe.each(MODES)('%s mode', (mode) => {
  /** The one file `p` of `s` over --http2, trusting the test certificate, with `more` options. */
  const getH2 = (s: H2TestServer, p: string, dir: string, more: Parameters<typeof download>[0] = {}) =>
    download({
      ...engine(mode),
      entries: [`${s.url}${p}`],
      dir,
      caCertificate: TEST_CA_FILE,
      http2: true,
      ...more,
    });

  it('downloads every file over HTTP/2, with its digest, on at most -j connections', async () => {
    const s = await h2Files();
    const paths = Array.from({ length: 12 }, (_, i) => `/${1 + i * 37 * KiB}/f${i}.bin`);
    const dir = await tmpDir();
    const summary = await download({
      ...engine(mode),
      entries: paths.map((p) => `${s.url}${p}`),
      dir,
      caCertificate: TEST_CA_FILE,
      http2: true,
      hash: 'sha256',
      concurrency: 8,
      retries: 0,
    });
    expect(summary.downloaded).toBe(12);
    expect(versions(s)).toEqual(['2.0']);
    for (const p of paths) {
      const want = synthBytes(p, 0, Number(p.split('/')[1]));
      const name = path.basename(p);
      expect((await onDisk(dir, name)).equals(want), p).toBe(true);
      const r = summary.results.find((x) => x.url === `${s.url}${p}`);
      expect(r?.digest?.hex).toBe(sha256(want));
    }
    // undici's pool opens a connection for each request that finds none free while the first ones handshake:
    // up to -j (--per-host), each then carrying its streams; never one per file.
    expect(s.sessions).toBeGreaterThanOrEqual(1);
    expect(s.sessions).toBeLessThanOrEqual(8);
  });

  it('speaks HTTP/1.1 without http2, to a server that does not offer h2, and to http:', async () => {
    const h2 = await h2Files();
    const h1 = await startServer((req, res) => res.end(`h1 ${req.httpVersion} ${req.url}`), { tls: true });
    const plain = await startServer((req, res) => res.end(`plain ${req.httpVersion} ${req.url}`));
    servers.push(h1, plain);
    const dir = await tmpDir();
    const off = await download({
      ...engine(mode),
      entries: [`${h2.url}/10/off.bin`],
      dir,
      caCertificate: TEST_CA_FILE,
      retries: 0,
    });
    expect(off.downloaded).toBe(1);
    expect(versions(h2)).toEqual(['1.1']);
    const on = await download({
      ...engine(mode),
      entries: [`${h1.url}/a.txt`, `${plain.url}/b.txt`, `${h2.url}/10/on.bin`],
      dir,
      caCertificate: TEST_CA_FILE,
      http2: true,
      retries: 0,
    });
    expect(on.downloaded).toBe(3);
    expect(await fs.readFile(path.join(dir, 'a.txt'), 'utf8')).toBe('h1 1.1 /a.txt');
    expect(await fs.readFile(path.join(dir, 'b.txt'), 'utf8')).toBe('plain 1.1 /b.txt');
    expect(h2.requests.map((r) => r.version)).toEqual(['1.1', '2.0']);
  });

  it('with insecure instead of the CA, over HTTP/2 too', async () => {
    const s = await h2Files();
    const dir = await tmpDir();
    const refused = await download({
      ...engine(mode),
      entries: [`${s.url}/3/k.bin`],
      dir,
      http2: true,
      retries: 0,
    });
    expect(refused.results[0]?.error?.code).toBe('ERR_DL_TLS');
    const summary = await download({
      ...engine(mode),
      entries: [`${s.url}/3/k.bin`],
      dir,
      http2: true,
      insecure: true,
      retries: 0,
    });
    expect(summary.downloaded).toBe(1);
    expect(versions(s)).toEqual(['2.0']);
  });

  const CUTS = {
    rst: 'RST_STREAM',
    drop: 'the session dropping',
    short: 'END_STREAM short of Content-Length',
  };
  for (const fault of ['rst', 'drop', 'short'] as const) {
    it(`resumes with Range and If-Range after a body cut by ${CUTS[fault]}`, async () => {
      const p = `/${600 * KiB}/cut.bin`;
      const s = await h2Files({ [p]: [fault] });
      const dir = await tmpDir();
      const summary = await download({
        ...engine(mode),
        entries: [`${s.url}${p}`],
        dir,
        caCertificate: TEST_CA_FILE,
        http2: true,
        retry: FAST_RETRY,
      });
      expect(summary.downloaded).toBe(1);
      expect(summary.results[0]).toMatchObject({ resumed: true, attempts: 2 });
      expect((await onDisk(dir, 'cut.bin')).equals(synthBytes(p, 0, 600 * KiB))).toBe(true);
      expect(s.requests).toHaveLength(2);
      expect(s.requests[1]?.headers.range).toMatch(/^bytes=[1-9]\d*-$/);
      expect(s.requests[1]?.headers['if-range']).toBe(`"${600 * KiB}"`);
      expect(versions(s)).toEqual(['2.0']);
      expect(await listFiles(dir)).toEqual(['cut.bin']);
    });
  }

  it('retries a request whose connection dropped before any header', async () => {
    const p = `/${40 * KiB}/reset.bin`;
    const s = await h2Files({ [p]: ['reset'] });
    const dir = await tmpDir();
    const summary = await getH2(s, p, dir, {
      retry: FAST_RETRY,
    });
    expect(summary.results[0]).toMatchObject({ status: 'downloaded', attempts: 2, resumed: false });
    expect((await onDisk(dir, 'reset.bin')).equals(synthBytes(p, 0, 40 * KiB))).toBe(true);
    expect(s.sessions).toBe(2);
    expect(versions(s)).toEqual(['2.0']);
  });

  it('-x fetches a big file as ranges over HTTP/2, byte-identical', async () => {
    const size = 2 * 1024 * KiB + 123;
    const p = `/${size}/big.bin`;
    const s = await h2Files();
    const dir = await tmpDir();
    const summary = await getH2(s, p, dir, {
      split: 4,
      minSplitSizeBytes: 256 * KiB,
      retries: 0,
    });
    expect(summary.downloaded).toBe(1);
    expect((await onDisk(dir, 'big.bin')).equals(synthBytes(p, 0, size))).toBe(true);
    const ranges = s.requests.flatMap((r) => (r.headers.range ? [r.headers.range] : []));
    expect(ranges.length).toBe(3);
    expect(ranges.every((r) => /^bytes=\d+-\d+$/.test(r))).toBe(true);
    expect(versions(s)).toEqual(['2.0']);
  });

  it('follows redirects over HTTP/2; Authorization goes to the same origin only', async () => {
    const other = await h2Files();
    const s = await h2Files(
      {},
      {
        '/same': () => `${s.url}/5/same.bin`,
        '/cross': () => `${other.url}/7/cross.bin`,
      },
    );
    const dir = await tmpDir();
    const summary = await download({
      ...engine(mode),
      entries: [`${s.url}/same`, `${s.url}/cross`],
      dir,
      caCertificate: TEST_CA_FILE,
      http2: true,
      headers: ['Authorization: Bearer t0ken'],
      retries: 0,
    });
    expect(summary.downloaded).toBe(2);
    expect((await onDisk(dir, 'same')).equals(synthBytes('/5/same.bin', 0, 5))).toBe(true);
    expect((await onDisk(dir, 'cross')).equals(synthBytes('/7/cross.bin', 0, 7))).toBe(true);
    expect(s.requests.map((r) => [r.path, r.headers.authorization]).sort()).toEqual([
      ['/5/same.bin', 'Bearer t0ken'],
      ['/cross', 'Bearer t0ken'],
      ['/same', 'Bearer t0ken'],
    ]);
    expect(other.requests.map((r) => [r.path, r.headers.authorization])).toEqual([
      ['/7/cross.bin', undefined],
    ]);
    expect([...versions(s), ...versions(other)]).toEqual(['2.0', '2.0']);
  });

  it('--limit-rate over h2: the file whole and the run within the rate (a paused stream never resumed would hang)', async () => {
    const size = 1024 * KiB;
    const p = `/${size}/slow.bin`;
    const s = await h2Files();
    const dir = await tmpDir();
    const summary = await getH2(s, p, dir, {
      limitRateBytes: 512 * KiB,
      retries: 0,
    });
    expect(summary.results[0]).toMatchObject({ status: 'downloaded', attempts: 1 });
    expect((await onDisk(dir, 'slow.bin')).equals(synthBytes(p, 0, size))).toBe(true);
    expect(size / (summary.elapsedMs / 1000)).toBeLessThanOrEqual(512 * KiB);
    expect(versions(s)).toEqual(['2.0']);
  });

  it('waits out 503 + Retry-After, then downloads over HTTP/2', async () => {
    const p = `/${50 * KiB}/busy.bin`;
    const s = await h2Files({ [p]: ['busy'] });
    const dir = await tmpDir();
    const clock = virtualClock();
    const summary = await download(
      {
        ...engine(mode),
        entries: [`${s.url}${p}`],
        dir,
        caCertificate: TEST_CA_FILE,
        http2: true,
        retry: FAST_RETRY,
      },
      undefined,
      clock,
    );
    expect(summary.downloaded).toBe(1);
    expect(summary.results[0]?.attempts).toBe(2);
    expect(clock.slept).toContain(1000);
    expect((await onDisk(dir, 'busy.bin')).equals(synthBytes(p, 0, 50 * KiB))).toBe(true);
    expect(versions(s)).toEqual(['2.0']);
  });

  it('a stalled stream hits --timeout and the retry resumes', async () => {
    const p = `/${300 * KiB}/stall.bin`;
    const s = await h2Files({ [p]: ['stall'] });
    const dir = await tmpDir();
    const summary = await getH2(s, p, dir, {
      timeoutMs: 500,
      retry: FAST_RETRY,
    });
    expect(summary.downloaded).toBe(1);
    expect(summary.results[0]).toMatchObject({ resumed: true, attempts: 2 });
    expect(s.requests[1]?.headers.range).toMatch(/^bytes=[1-9]\d*-$/);
    expect((await onDisk(dir, 'stall.bin')).equals(synthBytes(p, 0, 300 * KiB))).toBe(true);
    expect(versions(s)).toEqual(['2.0']);
  });
});
