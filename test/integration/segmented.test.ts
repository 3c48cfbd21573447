import type http from 'node:http';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { download } from '../../src/index.js';
import { synthBytes } from '../../src/server/synth.js';
import { startServer, type TestServer } from '../helpers/http.js';
import { collect, engine, FAST_RETRY, listFiles, MODES, tmpDir } from '../helpers/tmp.js';

const KiB = 1024;

interface FileServerOptions {
  /** Answer Range requests (and say so with Accept-Ranges). @default true */
  ranges?: boolean;
  /** Say `Accept-Ranges: bytes` but answer every request with the whole file (some CDNs do). */
  rangesClaimedOnly?: boolean;
  /** Bytes per second per response (paced in 16 KiB writes). */
  rate?: number | undefined;
  /** The version served, read per request, so a test can change the file mid-download. */
  version?: () => number;
  /** Cut the first ranged response that does not start at 0 after this many bytes. */
  cutFirstRangeAfter?: number;
  /** Cut the first whole-file (200) answer right after its headers and this many bytes. */
  cutFirstWholeAfter?: number;
}

/** Body of `path` at `version`: distinct bytes per version, so a splice of two versions shows. */
const bodyOf = (p: string, size: number, version = 1) => synthBytes(`${p}#v${version}`, 0, size);

/** Serves `/SIZE/name` with strong ETags per version, single byte ranges and If-Range, like a real server. */
function fileServer(o: FileServerOptions = {}): Promise<TestServer> {
  let cut = o.cutFirstRangeAfter;
  let cutWhole = o.cutFirstWholeAfter;
  return startServer((req: http.IncomingMessage, res: http.ServerResponse) => {
    const p = (req.url ?? '/').split('?')[0]!;
    const size = Number(/^\/(\d+)\//.exec(p)?.[1] ?? 0);
    const version = o.version?.() ?? 1;
    const etag = `"v${version}"`;
    const body = bodyOf(p, size, version);
    const headers: http.OutgoingHttpHeaders = { etag };
    if (o.ranges !== false) headers['accept-ranges'] = 'bytes';
    let start = 0;
    let end = size;
    const m = /^bytes=(\d+)-(\d*)$/.exec(String(req.headers.range ?? ''));
    const ifRange = req.headers['if-range'];
    let status = 200;
    if (o.ranges !== false && !o.rangesClaimedOnly && m && (ifRange === undefined || ifRange === etag)) {
      start = Number(m[1]);
      end = m[2] ? Math.min(size, Number(m[2]) + 1) : size;
      if (start >= size) {
        res.writeHead(416, { 'content-range': `bytes */${size}` }).end();
        return;
      }
      status = 206;
      headers['content-range'] = `bytes ${start}-${end - 1}/${size}`;
    }
    headers['content-length'] = end - start;
    res.writeHead(status, headers);
    let at = start;
    let stopAt = end;
    if (cut !== undefined && status === 206 && start > 0) {
      stopAt = Math.min(end, start + cut);
      cut = undefined;
    }
    if (cutWhole !== undefined && status === 200) {
      res.write(body.subarray(0, cutWhole), () => res.destroy());
      cutWhole = undefined;
      return;
    }
    const step = 16 * KiB;
    const pump = () => {
      if (res.destroyed) return;
      if (at >= stopAt) {
        if (stopAt < end) res.destroy();
        else res.end();
        return;
      }
      const n = Math.min(step, stopAt - at);
      const chunk = body.subarray(at, at + n);
      at += n;
      const next = () => (o.rate ? setTimeout(pump, (n / o.rate) * 1000) : setImmediate(pump));
      res.write(chunk, next);
    };
    pump();
  });
}

const rangesOf = (s: TestServer) => s.requests.map((r) => r.headers.range).filter((r) => r !== undefined);

describe.each(MODES)('%s mode', (mode) => {
  it('splits large files into ranges and ends byte-identical (uneven sizes, tiny files, files under the split size)', async () => {
    const s = await fileServer();
    try {
      const dir = await tmpDir();
      const files = [
        ['/1000003/uneven.bin', 1000003],
        ['/1/one.bin', 1],
        ['/7/seven.bin', 7],
        ['/50000/small.bin', 50000],
      ] as const;
      const summary = await download({
        ...engine(mode),
        entries: files.map(([p]) => `${s.url}${p}`),
        dir,
        split: 4,
        minSplitSizeBytes: 100 * KiB,
        concurrency: 16,
      });
      expect(summary.failed).toBe(0);
      for (const [p, size] of files) {
        const got = await fs.readFile(path.join(dir, path.basename(p)));
        expect(got.equals(bodyOf(p, size)), p).toBe(true);
      }
      // Only the large one went out as ranges: segments 2..4 of 1000003 bytes (the first rides on the 200).
      expect(rangesOf(s).sort()).toEqual([
        'bytes=250001-500001',
        'bytes=500002-750002',
        'bytes=750003-1000002',
      ]);
      expect(
        s.requests
          .filter((r) => r.path.includes('uneven'))
          .every((r) => r.headers['if-range'] === undefined || r.headers['if-range'] === '"v1"'),
      ).toBe(true);
      expect(await listFiles(dir)).toEqual(['one.bin', 'seven.bin', 'small.bin', 'uneven.bin']);
    } finally {
      await s.close();
    }
  });

  it('splits a file only a few bytes over the split size into at most that many ranges', async () => {
    const s = await fileServer();
    try {
      const dir = await tmpDir();
      const summary = await download({
        ...engine(mode),
        entries: [`${s.url}/5/five.bin`],
        dir,
        split: 8,
        minSplitSizeBytes: 1,
      });
      expect(summary.failed).toBe(0);
      expect((await fs.readFile(path.join(dir, 'five.bin'))).equals(bodyOf('/5/five.bin', 5))).toBe(true);
    } finally {
      await s.close();
    }
  });

  it('falls back to one connection when the server does not do ranges, and says so once', async () => {
    const s = await fileServer({ ranges: false });
    try {
      const dir = await tmpDir();
      const { events, onEvent } = collect();
      const summary = await download({
        ...engine(mode),
        ...(mode === 'threads' ? { workers: 1 } : {}),
        entries: [`${s.url}/300000/a.bin`, `${s.url}/300001/b.bin`],
        dir,
        split: 4,
        minSplitSizeBytes: 100 * KiB,
        onEvent,
      });
      expect(summary.failed).toBe(0);
      expect(s.requests).toHaveLength(2);
      const warnings = events.filter((e) => e.type === 'warning');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({
        message: expect.stringMatching(/does not accept byte ranges: -x 4 falls back to one connection/),
      });
      expect((await fs.readFile(path.join(dir, 'b.bin'))).equals(bodyOf('/300001/b.bin', 300001))).toBe(true);
    } finally {
      await s.close();
    }
  });

  it('falls back to one connection when a server claims ranges but sends the whole file', async () => {
    const s = await fileServer({ rangesClaimedOnly: true });
    try {
      const dir = await tmpDir();
      const { events, onEvent } = collect();
      const summary = await download({
        ...engine(mode),
        entries: [`${s.url}/600000/liar.bin`],
        dir,
        split: 4,
        minSplitSizeBytes: 100 * KiB,
        retry: FAST_RETRY,
        onEvent,
      });
      expect(summary.failed).toBe(0);
      expect((await fs.readFile(path.join(dir, 'liar.bin'))).equals(bodyOf('/600000/liar.bin', 600000))).toBe(
        true,
      );
      expect(
        events.filter((e) => e.type === 'warning').map((e) => (e as { message: string }).message),
      ).toEqual([
        expect.stringMatching(/answers range requests with the whole file: -x falls back to one connection/),
      ]);
      // One split attempt (the first answer and up to 3 ranges), then a single plain request.
      expect(s.requests.at(-1)?.headers.range).toBeUndefined();
      expect(s.requests.length).toBeLessThanOrEqual(5);
    } finally {
      await s.close();
    }
  });

  it('restarts the whole file when it changes mid-download, never mixing versions', async () => {
    // Requests 1 and 2 (the first answer and the second segment, cut after 64 KiB) see version 1; from the
    // third on (the segment's retry, with If-Range "v1") the file is version 2.
    let seen = 0;
    const s = await fileServer({ version: () => (++seen >= 3 ? 2 : 1), cutFirstRangeAfter: 64 * KiB });
    try {
      const dir = await tmpDir();
      const { events, onEvent } = collect();
      const summary = await download({
        ...engine(mode),
        entries: [`${s.url}/1048576/changing.bin`],
        dir,
        split: 2,
        minSplitSizeBytes: 100 * KiB,
        retry: FAST_RETRY,
        onEvent,
      });
      expect(summary.failed).toBe(0);
      const got = await fs.readFile(path.join(dir, 'changing.bin'));
      expect(got.equals(bodyOf('/1048576/changing.bin', 1048576, 2)), 'wholly version 2').toBe(true);
      expect(
        events.some(
          (e) => e.type === 'retry' && /the file changed during a segmented download/.test(e.error.message),
        ),
      ).toBe(true);
    } finally {
      await s.close();
    }
  });

  it('retries a segment cut mid-body on its own, from where it stopped', async () => {
    const s = await fileServer({ cutFirstRangeAfter: 64 * KiB });
    try {
      const dir = await tmpDir();
      const summary = await download({
        ...engine(mode),
        entries: [`${s.url}/1000000/cut.bin`],
        dir,
        split: 2,
        minSplitSizeBytes: 100 * KiB,
        retry: FAST_RETRY,
      });
      expect(summary.failed).toBe(0);
      expect(summary.retries).toBe(1);
      expect((await fs.readFile(path.join(dir, 'cut.bin'))).equals(bodyOf('/1000000/cut.bin', 1000000))).toBe(
        true,
      );
      // The second segment (500000..999999) was cut after 64 KiB (written in place) and continued from there.
      expect(rangesOf(s)).toEqual(['bytes=500000-999999', `bytes=${500000 + 64 * KiB}-999999`]);
    } finally {
      await s.close();
    }
  });

  it('survives the first answer being cut before its body is read (no hang), continuing range 0 by Range', async () => {
    const s = await fileServer({ cutFirstWholeAfter: 1000 });
    try {
      const dir = await tmpDir();
      const summary = await download({
        ...engine(mode),
        entries: [`${s.url}/800000/first-cut.bin`],
        dir,
        split: 4,
        minSplitSizeBytes: 100 * KiB,
        retry: FAST_RETRY,
      });
      expect(summary.failed).toBe(0);
      expect(
        (await fs.readFile(path.join(dir, 'first-cut.bin'))).equals(bodyOf('/800000/first-cut.bin', 800000)),
      ).toBe(true);
      expect(rangesOf(s).some((r) => r.startsWith('bytes=0-') || /^bytes=\d{1,4}-199999$/.test(r))).toBe(
        true,
      );
    } finally {
      await s.close();
    }
  }, 15_000);

  it('never uses more connections than -j in total, segments included (counted at the server)', async () => {
    const s = await fileServer({ rate: 4 * 1024 * 1024 });
    try {
      const dir = await tmpDir();
      const summary = await download({
        ...engine(mode),
        entries: [1, 2, 3].map((i) => `${s.url}/600000/f${i}.bin`),
        dir,
        split: 8,
        concurrency: 4,
        minSplitSizeBytes: 100 * KiB,
      });
      expect(summary.failed).toBe(0);
      expect(s.maxInFlight).toBeLessThanOrEqual(4);
      expect(rangesOf(s).length, 'some segments ran').toBeGreaterThan(0);
      for (const i of [1, 2, 3]) {
        const got = await fs.readFile(path.join(dir, `f${i}.bin`));
        expect(got.equals(bodyOf(`/600000/f${i}.bin`, 600000))).toBe(true);
      }
    } finally {
      await s.close();
    }
  });

  it('an interrupted segmented download is continued segment by segment by the next run', async () => {
    // Paced (read per chunk) so the first run can be stopped midway; the rerun is served at full speed.
    const pace: { rate: number | undefined } = { rate: 256 * 1024 };
    const s = await fileServer(pace);
    try {
      const dir = await tmpDir();
      const url = `${s.url}/2000000/resume.bin`;
      const opts = { ...engine(mode), entries: [url], dir, split: 4, minSplitSizeBytes: 100 * KiB };
      const stop = new AbortController();
      const { events, onEvent } = collect();
      const first = download({ ...opts, signal: stop.signal, onEvent });
      // Stop once a good share has landed in the .part (progress is counted after bytes are written).
      await expect
        .poll(() => events.some((e) => e.type === 'progress' && e.transferred > 600_000), { timeout: 10_000 })
        .toBe(true);
      stop.abort('SIGINT');
      const aborted = await first;
      expect(aborted.results[0]?.status).toBe('failed');
      const meta = JSON.parse(await fs.readFile(path.join(dir, 'resume.bin.part.meta'), 'utf8')) as {
        segments: [number, number, number][];
      };
      expect(meta.segments).toHaveLength(4);
      const done = meta.segments.reduce((n, [a, p]) => n + (p - a), 0);
      expect(done).toBeGreaterThan(0);

      const before = s.requests.length;
      pace.rate = undefined;
      const second = await download(opts);
      expect(second.results[0]).toMatchObject({ status: 'downloaded', resumed: true });
      expect(
        (await fs.readFile(path.join(dir, 'resume.bin'))).equals(bodyOf('/2000000/resume.bin', 2000000)),
      ).toBe(true);
      expect(await listFiles(dir)).toEqual(['resume.bin']);
      // The rerun asked only for what was missing, each range from its saved position, with If-Range.
      const rerun = s.requests.slice(before);
      const asked = rerun.reduce((n, r) => {
        const m = /^bytes=(\d+)-(\d+)$/.exec(String(r.headers.range));
        return n + (m ? Number(m[2]) - Number(m[1]) + 1 : 2000000);
      }, 0);
      expect(asked).toBe(2000000 - done);
      expect(rerun.every((r) => r.headers['if-range'] === '"v1"')).toBe(true);
    } finally {
      await s.close();
    }
  });
});
