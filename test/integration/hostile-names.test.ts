import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { download } from '../../src/index.js';
import { startServer, type TestServer } from '../helpers/http.js';
import { engine, FAST_RETRY, listFiles, MODES, tmpDir } from '../helpers/tmp.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const exists = (p: string) =>
  fs.stat(p).then(
    () => true,
    () => false,
  );

/** The body of every URL is its path, repeated to `?size=` bytes, with a strong ETag; `?cd=` sets Content-Disposition. */
function bodyFor(url: string): Buffer {
  const u = new URL(url, 'http://x');
  const size = Number(u.searchParams.get('size') ?? 64);
  const unit = Buffer.from(`${u.pathname}|`);
  return Buffer.alloc(size, unit);
}

let server: TestServer;
/** Requests to /hold/... wait for `release()` before they are answered (set by the test that needs it). */
let held: { arrived: () => void; until: Promise<void> } | undefined;
beforeAll(async () => {
  server = await startServer(async (req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    if (u.pathname.startsWith('/hold/') && held) {
      held.arrived();
      await held.until;
    }
    const body = bodyFor(req.url ?? '/');
    const headers: Record<string, string | number> = {
      'content-length': body.length,
      etag: `"${body.length}"`,
      'accept-ranges': 'bytes',
    };
    const cd = u.searchParams.get('cd');
    if (cd) headers['content-disposition'] = cd;
    res.writeHead(200, headers).end(body);
  });
});
afterAll(() => server.close());

describe.each(MODES)('%s mode', (mode) => {
  it('keeps hostile names from URLs, out=, dir= and Content-Disposition inside --dir', async () => {
    const base = await tmpDir();
    const out = path.join(base, 'out');
    const u = server.url;
    const cd = (v: string) => `?cd=${encodeURIComponent(v)}`;
    const lines = [
      `${u}/a/..%2F..%2Fescape1.bin`,
      `${u}/%2Fetc%2Fpasswd`,
      `${u}/nul%00byte.bin`,
      `${u}/ctl%0A%0D%1B.bin`,
      `${u}/${'x'.repeat(300)}.bin`,
      `${u}/${'é'.repeat(200)}`,
      `${u}/CON.txt`,
      `${u}/Case.bin`,
      `${u}/case.bin`,
      `${u}/o1\n  out=../escape2.bin`,
      `${u}/o2\n  out=${path.join(base, 'abs.bin')}`,
      `${u}/o3\n  dir=../up`,
      `${u}/o4\n  dir=C:\\windows`,
      `${u}/cd1${cd(`attachment; filename*=UTF-8''..%2F..%2Fcd-escape.bin`)}`,
      `${u}/cd2${cd('attachment; filename="/etc/cd-abs"')}`,
      `${u}/cd3${cd(`attachment; filename*=UTF-8''nul%00ctl%0A.bin`)}`,
      `${u}/cd4${cd(`attachment; filename*=UTF-8''LPT1.tar.gz`)}`,
    ];
    const list = path.join(base, 'list.txt');
    await fs.writeFile(list, `${lines.join('\n')}\n`);
    const summary = await download({
      ...engine(mode),
      sources: [list],
      dir: out,
      contentDisposition: true,
      retry: FAST_RETRY,
    });

    // Nothing outside --dir but the list itself.
    expect((await listFiles(base)).filter((f) => !f.startsWith('out/'))).toEqual(['list.txt']);
    const failed = summary.results.filter((r) => r.status === 'failed');
    expect(failed.map((r) => [r.line, r.error?.code])).toEqual([
      [10, 'ERR_DL_UNSAFE_NAME'],
      [12, 'ERR_DL_UNSAFE_NAME'],
      [14, 'ERR_DL_UNSAFE_NAME'],
      [16, 'ERR_DL_UNSAFE_NAME'],
    ]);
    for (const r of failed) expect(r.error?.message).toMatch(new RegExp(`^${list}:${r.line}: `));
    expect(summary.downloaded).toBe(lines.length - 4);

    const files = await listFiles(out);
    expect(files).toHaveLength(lines.length - 4);
    for (const f of files) {
      for (const part of f.split('/')) {
        expect(Buffer.byteLength(part)).toBeLessThanOrEqual(245);
        expect(part).not.toMatch(/[\x00-\x1f\\]/);
        expect(part).not.toMatch(/^(con|prn|aux|nul|com\d|lpt\d)(\.|$)/i);
      }
    }
    expect(files).toEqual(expect.arrayContaining(['_CON.txt', '_LPT1.tar.gz']));
    // Names that differ only in case are one name: the second one claimed gets a suffix. (With
    // --content-disposition names are claimed as answers arrive, so which one is second may vary.)
    expect(
      files
        .filter((f) => /^case(\.1)?\.bin$/i.test(f))
        .map((f) => f.toLowerCase())
        .sort(),
    ).toEqual(['case.1.bin', 'case.bin']);
    // Every file holds exactly what its URL served (no two entries wrote one file).
    for (const r of summary.results.filter((x) => x.status === 'downloaded')) {
      const got = await fs.readFile(path.join(out, r.path!));
      expect(got.equals(bodyFor(r.url)), r.path).toBe(true);
    }
  });

  it('never writes through a symlink planted at the file, its .part, its .part.meta or a directory', async () => {
    const base = await tmpDir();
    const out = path.join(base, 'out');
    const outside = path.join(base, 'outside');
    await fs.mkdir(out);
    await fs.mkdir(outside);
    const victims = ['final', 'part', 'bigpart', 'meta'].map((n) => path.join(outside, `${n}.victim`));
    for (const v of victims) await fs.writeFile(v, 'precious');
    await fs.symlink(victims[0]!, path.join(out, 'final.bin'));
    await fs.symlink(victims[1]!, path.join(out, 'part.bin.part'));
    await fs.symlink(victims[2]!, path.join(out, 'big.bin.part'));
    await fs.symlink(victims[3]!, path.join(out, 'meta.bin.part.meta'));
    await fs.symlink(outside, path.join(out, 'sub'));
    const u = server.url;
    const big = '?size=600000';
    const list = path.join(base, 'list.txt');
    await fs.writeFile(
      list,
      [
        `${u}/final.bin`,
        `${u}/part.bin`,
        `${u}/big.bin${big}`,
        `${u}/meta.bin${big}`,
        `${u}/in-sub.bin\n  dir=sub`,
        `${u}/deeper.bin\n  dir=sub/deeper`,
        `${u}/fine.bin${big}`,
      ].join('\n'),
    );
    const summary = await download({ ...engine(mode), sources: [list], dir: out, retry: FAST_RETRY });

    for (const v of victims) expect(await fs.readFile(v, 'utf8'), v).toBe('precious');
    expect((await fs.readdir(outside)).sort()).toEqual(victims.map((v) => path.basename(v)).sort());
    const byLine = new Map(summary.results.map((r) => [r.line, r]));
    for (const line of [1, 2, 3, 4, 5, 7]) {
      expect(byLine.get(line)?.status, `line ${line}`).toBe('failed');
      expect(byLine.get(line)?.error?.code, `line ${line}`).toBe('ERR_DL_UNSAFE_NAME');
      expect(byLine.get(line)?.error?.message).toMatch(/symbolic link/);
      expect(byLine.get(line)?.attempts, 'not retried').toBeLessThanOrEqual(1);
    }
    // A link at NAME.part.meta is refused like one at NAME.part, and left where it is.
    expect((await fs.lstat(path.join(out, 'meta.bin.part.meta'))).isSymbolicLink()).toBe(true);
    expect(byLine.get(9)?.status).toBe('downloaded');
    const fine = await fs.readFile(path.join(out, 'fine.bin'));
    expect(fine.equals(bodyFor(`${u}/fine.bin${big}`))).toBe(true);
    expect((await fs.lstat(path.join(out, 'final.bin'))).isSymbolicLink()).toBe(true);
  });

  it('refuses a FIFO at the file, its .part or its .part.meta at once, without blocking', async () => {
    const base = await tmpDir();
    const out = path.join(base, 'out');
    await fs.mkdir(out);
    // An open of a FIFO waits for its other end: before this was refused, the run hung for ever (SIGINT too).
    for (const name of ['final.bin', 'small.bin.part', 'big.bin.part', 'meta.bin.part.meta']) {
      execFileSync('mkfifo', [path.join(out, name)]);
    }
    const u = server.url;
    const big = '?size=600000';
    const list = path.join(base, 'list.txt');
    await fs.writeFile(
      list,
      [`${u}/final.bin`, `${u}/small.bin`, `${u}/big.bin${big}`, `${u}/meta.bin`, `${u}/fine.bin`].join('\n'),
    );
    const summary = await download({ ...engine(mode), sources: [list], dir: out, retry: FAST_RETRY });
    const byLine = new Map(summary.results.map((r) => [r.line, r]));
    for (const line of [1, 2, 3, 4]) {
      expect(byLine.get(line)?.status, `line ${line}`).toBe('failed');
      expect(byLine.get(line)?.error?.code, `line ${line}`).toBe('ERR_DL_UNSAFE_NAME');
      expect(byLine.get(line)?.error?.message, `line ${line}`).toMatch(/not a regular file/);
    }
    expect(byLine.get(5)?.status).toBe('downloaded');
    // The FIFOs are left as they were.
    for (const name of ['final.bin', 'small.bin.part', 'big.bin.part', 'meta.bin.part.meta']) {
      expect((await fs.lstat(path.join(out, name))).isFIFO(), name).toBe(true);
    }
  }, 20_000);

  it('never writes outside --dir when a folder is swapped for a link while a download waits for its answer', async () => {
    const base = await tmpDir();
    const out = path.join(base, 'out');
    const outside = path.join(base, 'outside');
    await fs.mkdir(outside);
    const u = server.url;
    let arrived!: () => void;
    let release!: () => void;
    const came = new Promise<void>((r) => (arrived = r));
    held = { arrived, until: new Promise<void>((r) => (release = r)) };
    const list = path.join(base, 'list.txt');
    await fs.writeFile(list, `${u}/first.bin\n  dir=sub\n${u}/hold/a2.bin\n  dir=sub\n  out=a2.txt\n`);
    const run = download({ ...engine(mode), sources: [list], dir: out, retry: FAST_RETRY });
    try {
      // The first file is in sub/, the second request waits at the server: now swap sub/ for a link.
      await came;
      for (let i = 0; i < 200 && !(await exists(path.join(out, 'sub', 'first.bin'))); i++) await sleep(10);
      await fs.rename(path.join(out, 'sub'), path.join(out, 'sub.real'));
      await fs.symlink(outside, path.join(out, 'sub'));
    } finally {
      release();
    }
    const summary = await run;
    held = undefined;
    expect(await fs.readdir(outside)).toEqual([]);
    const second = summary.results.find((r) => r.line === 3)!;
    // Safe either way: a download that pinned sub/ before the swap finishes there; one that did not meets the
    // link and is refused.
    if (second.status === 'downloaded') {
      const got = await fs.readFile(path.join(out, 'sub.real', 'a2.txt'));
      expect(got.equals(bodyFor(`${u}/hold/a2.bin`))).toBe(true);
    } else {
      expect(second.error?.code).toBe('ERR_DL_UNSAFE_NAME');
      expect(second.error?.message).toMatch(/symbolic link/);
    }
  }, 20_000);

  it('does not count a file behind a linked folder as present (the skip follows the write rules)', async () => {
    const base = await tmpDir();
    const out = path.join(base, 'out');
    const outside = path.join(base, 'outside');
    await fs.mkdir(out);
    await fs.mkdir(outside);
    await fs.writeFile(path.join(outside, 'secret.txt'), 'not yours');
    await fs.symlink(outside, path.join(out, 'sub'));
    const list = path.join(base, 'list.txt');
    await fs.writeFile(list, `${server.url}/secret.txt\n  dir=sub\n`);
    const summary = await download({ ...engine(mode), sources: [list], dir: out, retry: FAST_RETRY });
    expect(summary.results[0]?.status).toBe('failed');
    expect(summary.results[0]?.error?.code).toBe('ERR_DL_UNSAFE_NAME');
    expect(await fs.readFile(path.join(outside, 'secret.txt'), 'utf8')).toBe('not yours');
  });
});
