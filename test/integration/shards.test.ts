import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { download } from '../../src/download.js';
import { mergeShards } from '../../src/shards/merge.js';
import { planShards } from '../../src/shards/plan.js';
import { startServer, type TestServer } from '../helpers/http.js';
import { engine, listFiles, MODES, tmpDir } from '../helpers/tmp.js';

let server: TestServer;
beforeAll(async () => {
  // 1 KiB per name, different for each; 404 for /missing.
  server = await startServer((req, res) => {
    const name = new URL(req.url ?? '/', 'http://x').pathname;
    if (name === '/missing') return void res.writeHead(404, { 'content-length': '0' }).end();
    res.writeHead(200, { 'content-length': '1024' }).end(Buffer.alloc(1024, name));
  });
});
afterAll(() => server.close());

/** 14 entries over shards of 4 lines (a comment first): names collide across shards, one URL fails. */
async function writeList(dir: string): Promise<string> {
  const lines = ['# sharded'];
  for (let i = 1; i <= 13; i++) lines.push(`${server.url}/gen/1K/f${i % 4}.bin`);
  lines.push(`${server.url}/missing`);
  const file = path.join(dir, 'list.txt');
  await fs.writeFile(file, `${lines.join('\n')}\n`);
  return file;
}

/** The files a whole run of writeList's list leaves: f0..f3 again and again, each the bytes of its URL. */
function wholeRun(): Record<string, string> {
  const out: Record<string, string> = {};
  const seen = [0, 0, 0, 0];
  for (let i = 1; i <= 13; i++) {
    const n = i % 4;
    const name = seen[n]! === 0 ? `f${n}.bin` : `f${n}.${seen[n]!}.bin`;
    seen[n]!++;
    out[name] = Buffer.alloc(1024, `/gen/1K/f${n}.bin`).toString('hex');
  }
  return out;
}

async function contents(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of await listFiles(dir))
    if (!f.startsWith('.dlpool')) out[f] = await fs.readFile(path.join(dir, f), 'hex');
  return out;
}

describe.each(MODES)('%s mode', (mode) => {
  it('--shard 0/3, 1/3 and 2/3 are disjoint and together make the single run: files, names and manifest', async () => {
    const dir = await tmpDir();
    const list = await writeList(dir);
    const single = path.join(dir, 'single');
    const one = await download({
      ...engine(mode),
      sources: [list],
      dir: single,
      manifest: path.join(dir, 'single.sums'),
      retries: 0,
    });
    const sharded = path.join(dir, 'sharded');
    const runs = [];
    for (let i = 0; i < 3; i++) {
      runs.push(
        await download({
          ...engine(mode),
          sources: [list],
          dir: sharded,
          shard: { index: i, count: 3 },
          shardSize: 4,
          retries: 0,
        }),
      );
    }
    // Disjoint: every entry downloaded (or failed) by exactly one run.
    expect(runs.map((r) => r.downloaded + r.failed)).toEqual([6, 4, 4]); // shards 0+3, 1, 2
    const lines = runs.flatMap((r) => r.results.map((x) => x.line!));
    expect(lines.sort((a, b) => a - b)).toEqual(Array.from({ length: 14 }, (_, i) => i + 2));
    expect(runs.map((r) => r.shards)).toEqual([
      { taken: 2, skipped: 0 },
      { taken: 1, skipped: 0 },
      { taken: 1, skipped: 0 },
    ]);
    expect(await contents(sharded)).toEqual(await contents(single));
    // The merged manifest, in list order, is the single run's (which is in finishing order).
    let merged = '';
    const summary = await mergeShards(sharded, (t) => (merged += t));
    const sorted = (t: string) => t.split('\n').filter(Boolean).sort();
    expect(sorted(merged)).toEqual(sorted(await fs.readFile(path.join(dir, 'single.sums'), 'utf8')));
    expect(merged.split('\n')[0]).toMatch(/ {2}f1\.bin$/);
    expect(summary).toMatchObject({ of: 4, done: 4, missing: [], entries: 14, downloaded: 13 });
    expect(summary.failed).toEqual([
      expect.objectContaining({ code: 'ERR_DL_HTTP_STATUS', line: 15, source: list }),
    ]);
    expect(one.failed).toBe(1);
  });

  it('each shard read alone from its planned offset (as queue workers do) makes the single run too', async () => {
    const dir = await tmpDir();
    const list = await writeList(dir);
    const single = path.join(dir, 'single');
    await download({ ...engine(mode), sources: [list], dir: single, retries: 0 });
    const plan = await planShards(list, 4);
    expect(plan.shards.length).toBe(4);
    const alone = path.join(dir, 'alone');
    // Last shard first: nothing depends on the shards before it having run.
    for (const [k, s] of [...plan.shards.entries()].reverse()) {
      const r = await download({
        ...engine(mode),
        sources: [list],
        dir: alone,
        shardSize: 4,
        shard: {
          index: k,
          count: plan.shards.length,
          start: { offset: s.offset, line: s.firstLine },
          ...(s.names ? { names: s.names } : {}),
        },
        retries: 0,
      });
      expect(r.shards).toEqual({ taken: 1, skipped: 0 });
    }
    // Names that collide across shards (f0..f3 again and again) are the single run's.
    expect(await contents(alone)).toEqual(await contents(single));
    const summary = await mergeShards(alone, () => {});
    expect(summary).toMatchObject({ of: 4, done: 4, missing: [], entries: 14, downloaded: 13 });
  });

  it('a rerun skips the shards it finished (no request at all), and redoes one whose entries changed', async () => {
    const dir = await tmpDir();
    const list = await writeList(dir);
    const out = path.join(dir, 'out');
    const run = () => download({ ...engine(mode), sources: [list], dir: out, shardSize: 4, retries: 0 });
    expect((await run()).shards).toEqual({ taken: 4, skipped: 0 });
    const before = server.requests.length;
    const again = await run();
    expect(again.shards).toEqual({ taken: 0, skipped: 4 });
    expect(server.requests.length).toBe(before);
    // Line 3 edited: shard 0 is another shard now; its files are there, so they are only checked.
    const text = (await fs.readFile(list, 'utf8')).replace('/gen/1K/f2.bin', '/gen/1K/f2.bin?v=2');
    await fs.writeFile(list, text);
    const requested = server.requests.length;
    const edited = await run();
    expect(edited.shards).toEqual({ taken: 1, skipped: 3 });
    expect(edited.results.map((r) => [r.path, r.status]).sort()).toEqual([
      ['f1.bin', 'skipped'],
      ['f2.bin', 'skipped'],
      ['f3.bin', 'skipped'],
    ]);
    expect(server.requests.length, 'the files there are not fetched again').toBe(requested);
    expect(await contents(out)).toEqual(wholeRun());
    // The skipped shards' markers now name the edited list too: the merge takes them as one list.
    const summary = await mergeShards(out, () => {});
    expect(summary).toMatchObject({ of: 4, done: 4, missing: [], entries: 14 });
  });

  it('a shard cut off by an interruption leaves no marker, and the next run finishes it', async () => {
    const dir = await tmpDir();
    const list = await writeList(dir);
    const out = path.join(dir, 'out');
    // Interrupted once the first file is in: the other downloads of its shard end as interrupted.
    const controller = new AbortController();
    const stopped = await download({
      ...engine(mode),
      sources: [list],
      dir: out,
      shardSize: 4,
      concurrency: 2,
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'result') controller.abort('SIGINT');
      },
    });
    expect(stopped.results.some((r) => r.error?.code === 'ERR_DL_ABORTED')).toBe(true);
    expect(stopped.interrupted).toBe('SIGINT');
    const done = (await fs.readdir(path.join(out, '.dlpool', 'shards'))).filter((f) => f.endsWith('.done'));
    expect(done).toEqual([]);
    const next = await download({ ...engine(mode), sources: [list], dir: out, shardSize: 4, retries: 0 });
    expect(next.shards).toEqual({ taken: 4, skipped: 0 });
    expect(next.downloaded + next.skipped).toBe(13);
    expect(next.failed, 'only /missing').toBe(1);
    // Every file whole and under the single run's name, no .part left.
    expect(await contents(out)).toEqual(wholeRun());
    expect((await listFiles(out)).filter((f) => !f.startsWith('.dlpool'))).toEqual(
      Object.keys(wholeRun()).sort(),
    );
  });
});

describe('shard options', () => {
  it('want exactly one list, and a valid I/N', async () => {
    const dir = await tmpDir();
    await expect(download({ sources: ['http://127.0.0.1:1/a'], dir, shardSize: 2 })).rejects.toThrow(
      /exactly one list/,
    );
    await expect(download({ sources: ['a.txt'], dir, shard: { index: 3, count: 3 } })).rejects.toThrow(
      /0 <= I < count N/,
    );
  });
});

describe("dlpool's own folder", () => {
  it('a download named .dlpool is saved as _.dlpool, so later sharded runs keep their folder', async () => {
    const dir = await tmpDir();
    const list = path.join(dir, 'list.txt');
    await fs.writeFile(list, `${server.url}/.dlpool\n${server.url}/a\n  out=.DLPOOL\n${server.url}/b\n`);
    const plain = await download({ sources: [list], dir, retries: 0 });
    expect(plain.downloaded).toBe(3);
    const sharded = await download({ sources: [list], dir, shardSize: 2, retries: 0 });
    expect(sharded.shards).toEqual({ taken: 2, skipped: 0 });
    const names = (await fs.readdir(dir)).sort();
    expect(names.filter((n) => /dlpool/i.test(n))).toEqual(['.dlpool', '_.1.DLPOOL', '_.dlpool']);
    expect(await mergeShards(dir, () => {})).toMatchObject({ of: 2, done: 2, entries: 3 });
  });
});
