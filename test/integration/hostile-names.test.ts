import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { download } from '../../src/index.js';
import { startServer, type TestServer } from '../helpers/http.js';
import { engine, FAST_RETRY, listFiles, MODES, tmpDir } from '../helpers/tmp.js';

/** The body of every URL is its path, repeated to `?size=` bytes, with a strong ETag; `?cd=` sets Content-Disposition. */
function bodyFor(url: string): Buffer {
  const u = new URL(url, 'http://x');
  const size = Number(u.searchParams.get('size') ?? 64);
  const unit = Buffer.from(`${u.pathname}|`);
  return Buffer.alloc(size, unit);
}

let server: TestServer;
beforeAll(async () => {
  server = await startServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
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
});
