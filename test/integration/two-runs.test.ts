import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { download } from '../../src/download.js';
import type { DownloadEvent } from '../../src/events.js';
import { synthBytes } from '../../src/server/synth.js';
import { startServer } from '../helpers/http.js';
import { engine, listFiles, MODES, tmpDir } from '../helpers/tmp.js';

const KiB = 1024;
const SIZE = 1024 * KiB;
const BODY = synthBytes('/f.bin', 0, SIZE);
const SHA256 = createHash('sha256').update(BODY).digest('hex');

/** Run 2 polls for the lock quickly and for long: the test, not a retry budget, decides when run 1 ends. */
const PATIENT = { retries: 1000, retry: { baseDelayMs: 5, maxDelayMs: 50 } };

/** Resolves once `probe` says yes (polled every 10 ms; fails after 20 s, naming `what`). */
async function until(what: string, probe: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const sizeOf = (p: string) =>
  fs.stat(p).then(
    (s) => s.size,
    () => -1,
  );

/**
 * /f.bin without ETag or Last-Modified (so nothing can be resumed), 1 MiB, honouring byte ranges. Run 1's
 * whole-file answer (requests before `second()` are run 1's) sends `head` bytes, then waits for `finishFirst()`;
 * its range answers (-x) send their headers only and wait too. Answers to run 2 send their headers only and hold
 * their body until `finishSecond()`.
 */
function slowServer(head: number) {
  let finishFirst!: () => void;
  let finishSecond!: () => void;
  const go1 = new Promise<void>((r) => (finishFirst = r));
  const go2 = new Promise<void>((r) => (finishSecond = r));
  let run = 1;
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const m = /^bytes=(\d+)-(\d*)$/.exec(String(req.headers.range ?? ''));
    let start = 0;
    let end = SIZE;
    if (m) {
      start = Number(m[1]);
      end = m[2] ? Math.min(SIZE, Number(m[2]) + 1) : SIZE;
      res.writeHead(206, {
        'accept-ranges': 'bytes',
        'content-length': end - start,
        'content-range': `bytes ${start}-${end - 1}/${SIZE}`,
      });
    } else res.writeHead(200, { 'accept-ranges': 'bytes', 'content-length': SIZE });
    const cut = run === 1 && !m ? Math.min(end, head) : start;
    if (cut > start) res.write(BODY.subarray(start, cut));
    else res.flushHeaders();
    void (run === 1 ? go1 : go2).then(() => res.end(BODY.subarray(cut, end)));
  };
  return { handler, second: () => (run = 2), finishFirst, finishSecond };
}

async function checksumsFile(): Promise<string> {
  const file = path.join(await tmpDir(), 'SHA256SUMS');
  await fs.writeFile(file, `${SHA256}  f.bin\n`);
  return file;
}

describe.each(MODES)('two runs on one folder (%s mode)', (mode) => {
  it.each([
    { how: 'streamed', split: 1, head: 256 * KiB },
    { how: 'segmented (-x 2)', split: 2, head: SIZE / 2 },
  ])(
    'a second run waits for the .part the first is writing, then skips the finished file ($how)',
    async ({ split, head }) => {
      const dir = await tmpDir();
      const part = path.join(dir, 'f.bin.part');
      const srv = slowServer(head);
      const s = await startServer(srv.handler);
      try {
        const url = `${s.url}/f.bin`;
        const checksums = await checksumsFile();
        const common = { ...engine(mode), entries: [url], dir, split, minSplitSizeBytes: 1 };
        // Run 1 without a checksum for -x (a mismatch would refetch and hide the hole), with one otherwise.
        const run1 = download({ ...common, ...(split > 1 ? {} : { checksums }), retries: 0 });
        // Run 1 has bytes on disk: the streamed .part has grown, the split one holds its first range.
        await until('run 1 to write', async () =>
          split > 1
            ? s.requests.length === 2 &&
              (await fs.readFile(part).catch(() => Buffer.alloc(0)))
                .subarray(0, head)
                .equals(BODY.subarray(0, head))
            : (await sizeOf(part)) >= head,
        );
        srv.second();
        const events: DownloadEvent[] = [];
        let busy = false;
        const run2 = download({
          ...common,
          ...PATIENT,
          onEvent: (e) => {
            events.push(e);
            if (e.type === 'retry' && e.error.code === 'ERR_DL_BUSY') busy = true;
          },
        });
        // Run 2 has either met the lock or (unlocked) truncated run 1's .part.
        await until('run 2 to meet the .part', async () => {
          if (busy) return true;
          const now = await fs.readFile(part).catch(() => undefined);
          return now !== undefined && !now.subarray(0, head).equals(BODY.subarray(0, head));
        });
        srv.finishFirst();
        const r1 = await run1;
        expect(r1.results[0]!.status).toBe('downloaded');
        // The file run 1 reported is the server's, byte for byte (no zero-filled hole).
        expect((await fs.readFile(path.join(dir, 'f.bin'))).equals(BODY)).toBe(true);
        srv.finishSecond();
        const r2 = await run2;
        expect(r2.results[0]).toMatchObject({ status: 'skipped', bytes: SIZE });
        expect(busy).toBe(true);
        expect((await fs.readFile(path.join(dir, 'f.bin'))).equals(BODY)).toBe(true);
        // Run 2 sent nothing while it waited: the server saw run 1's requests only.
        expect(s.requests.filter((q) => q.headers.range === undefined)).toHaveLength(1);
        expect(await listFiles(dir)).toEqual(['f.bin']);
      } finally {
        srv.finishFirst();
        srv.finishSecond();
        await s.close();
      }
    },
  );

  it('a second run that waited takes over the .part the first left when it failed, and resumes it', async () => {
    const dir = await tmpDir();
    const part = path.join(dir, 'f.bin.part');
    const etag = '"v1"';
    let cutFirst!: () => void;
    const cut = new Promise<void>((r) => (cutFirst = r));
    const s = await startServer((req, res) => {
      const m = /^bytes=(\d+)-$/.exec(String(req.headers.range ?? ''));
      if (m && req.headers['if-range'] === etag) {
        const start = Number(m[1]);
        res.writeHead(206, {
          etag,
          'content-length': SIZE - start,
          'content-range': `bytes ${start}-${SIZE - 1}/${SIZE}`,
        });
        res.end(BODY.subarray(start));
        return;
      }
      // Run 1: a quarter of the file, then the connection is cut when the test says.
      res.writeHead(200, { etag, 'content-length': SIZE });
      res.write(BODY.subarray(0, SIZE / 4));
      void cut.then(() => res.socket?.destroy());
    });
    try {
      const url = `${s.url}/f.bin`;
      const run1 = download({ ...engine(mode), entries: [url], dir, retries: 0 });
      await until('run 1 to write', async () => (await sizeOf(part)) >= SIZE / 4);
      let busy = false;
      const run2 = download({
        ...engine(mode),
        entries: [url],
        dir,
        ...PATIENT,
        onEvent: (e) => {
          if (e.type === 'retry' && e.error.code === 'ERR_DL_BUSY') busy = true;
        },
      });
      await until('run 2 to meet the lock', () => busy);
      cutFirst();
      const r1 = await run1;
      expect(r1.results[0]!.status).toBe('failed');
      const r2 = await run2;
      expect(r2.results[0]).toMatchObject({ status: 'downloaded', resumed: true, bytes: SIZE });
      // It asked for the rest only, from what run 1 left on disk.
      const resumedAt = Number(/^bytes=(\d+)-$/.exec(String(s.requests.at(-1)!.headers.range))![1]);
      expect(resumedAt).toBeGreaterThanOrEqual(SIZE / 4);
      expect(r2.results[0]!.transferred).toBe(SIZE - resumedAt);
      expect((await fs.readFile(path.join(dir, 'f.bin'))).equals(BODY)).toBe(true);
      expect(await listFiles(dir)).toEqual(['f.bin']);
    } finally {
      cutFirst();
      await s.close();
    }
  });
});
