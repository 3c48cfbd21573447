import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { download } from '../../src/download.js';
import type { DownloadEvent } from '../../src/events.js';
import { planShards } from '../../src/shards/plan.js';
import { VERSION } from '../../src/version.js';
import { startServer, TEST_CA_FILE, type TestServer } from '../helpers/http.js';
import { collect, engine, FAST_RETRY, MODES, tmpDir } from '../helpers/tmp.js';

/** aria2 option lines that shape an entry's request (header=, referer=, user-agent=, http-user=, ...). */

/** Answers 200 with the path as the body; records every request's headers (TestServer.requests). */
const plain = () =>
  startServer((req, res) => {
    const body = Buffer.from(req.url ?? '');
    res.writeHead(200, { 'content-length': String(body.length) }).end(body);
  });

async function writeList(text: string): Promise<{ dir: string; list: string; out: string }> {
  const dir = await tmpDir();
  const list = path.join(dir, 'list.txt');
  await fs.writeFile(list, text);
  return { dir, list, out: path.join(dir, 'out') };
}

function seen(s: TestServer, p: string) {
  const found = s.requests.filter((r) => r.path === p);
  expect(found.length, p).toBeGreaterThan(0);
  return found.map((r) => r.headers);
}

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

describe.each(MODES)('%s mode', (mode) => {
  it("header= (twice), referer= and user-agent= reach the entry's request and not the next entry's", async () => {
    const s = await plain();
    try {
      const { list, out } = await writeList(
        `${s.url}/a.bin\n  header=X-Token: one\n  header=X-Other: two\n  referer=http://ref.example/page\n` +
          `  user-agent=entry-agent/1\n  header=X-Run: entry\n${s.url}/b.bin\n`,
      );
      const summary = await download({
        ...engine(mode),
        sources: [list],
        dir: out,
        concurrency: 1,
        headers: ['X-Run: run'],
      });
      expect(summary.downloaded).toBe(2);
      for (const h of seen(s, '/a.bin')) {
        expect(h).toMatchObject({
          'x-token': 'one',
          'x-other': 'two',
          referer: 'http://ref.example/page',
          'user-agent': 'entry-agent/1',
          // An entry's header replaces the run's of the same name, for that entry.
          'x-run': 'entry',
        });
      }
      for (const h of seen(s, '/b.bin')) {
        expect(h['x-token']).toBeUndefined();
        expect(h['x-other']).toBeUndefined();
        expect(h.referer).toBeUndefined();
        expect(h['user-agent']).toBe(`dlpool/${VERSION}`);
        expect(h['x-run']).toBe('run');
      }
    } finally {
      await s.close();
    }
  });

  it("an entry's headers and credentials go with each range of a split download (-x), not the next entry's", async () => {
    const size = 512 * 1024;
    const body = Buffer.alloc(size, 'r');
    const s = await startServer((req, res) => {
      const m = /^bytes=(\d+)-(\d*)$/.exec(String(req.headers.range ?? ''));
      const start = m ? Number(m[1]) : 0;
      const end = m?.[2] ? Math.min(size, Number(m[2]) + 1) : size;
      const headers = { 'accept-ranges': 'bytes', etag: '"v1"', 'content-length': String(end - start) };
      if (m) res.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${end - 1}/${size}` });
      else res.writeHead(200, headers);
      res.end(body.subarray(start, end));
    });
    try {
      const { list, out } = await writeList(
        `${s.url}/a.bin\n  header=X-Token: one\n  http-user=alice\n  http-passwd=pw\n${s.url}/b.bin\n`,
      );
      const summary = await download({
        ...engine(mode),
        sources: [list],
        dir: out,
        split: 4,
        minSplitSizeBytes: 1,
      });
      expect(summary.downloaded).toBe(2);
      expect((await fs.readFile(path.join(out, 'a.bin'))).equals(body)).toBe(true);
      const a = seen(s, '/a.bin');
      expect(s.requests.filter((r) => r.path === '/a.bin' && r.headers.range !== undefined)).toHaveLength(3);
      for (const h of a) expect(h).toMatchObject({ 'x-token': 'one', authorization: basic('alice', 'pw') });
      for (const h of seen(s, '/b.bin')) {
        expect(h['x-token']).toBeUndefined();
        expect(h.authorization).toBeUndefined();
      }
    } finally {
      await s.close();
    }
  });

  it("referer=* sends the entry's own URL, without its credentials", async () => {
    const s = await plain();
    try {
      const withUser = s.url.replace('http://', 'http://u:pw@');
      const { list, out } = await writeList(`${withUser}/r.bin?x=1\n  referer=*\n`);
      const summary = await download({ ...engine(mode), sources: [list], dir: out });
      expect(summary.downloaded).toBe(1);
      expect(seen(s, '/r.bin?x=1')[0]?.referer).toBe(`${s.url}/r.bin?x=1`);
    } finally {
      await s.close();
    }
  });

  it("http-user=/http-passwd= reach the entry's host only: not a redirect to another host:port, not the next entry", async () => {
    const other = await plain();
    const s = await startServer((req, res) => {
      if (req.url === '/moved.bin') {
        res.writeHead(302, { location: `${other.url}/moved.bin`, 'content-length': '0' }).end();
        return;
      }
      if (req.url === '/missing.bin') return void res.writeHead(404, { 'content-length': '0' }).end();
      const body = Buffer.from(req.url ?? '');
      res.writeHead(200, { 'content-length': String(body.length) }).end(body);
    });
    try {
      const { list, out } = await writeList(
        `${s.url}/moved.bin\n  http-user=alice\n  http-passwd=s3cret\n` +
          `${s.url}/own.bin\n  http-user=bob\n  http-passwd=pa:ss\n` +
          `${s.url}/none.bin\n` +
          `${s.url}/missing.bin\n  http-user=carol\n  http-passwd=hunter2\n`,
      );
      const { events, onEvent } = collect();
      const summary = await download({
        ...engine(mode),
        sources: [list],
        dir: out,
        concurrency: 1,
        retries: 0,
        onEvent,
      });
      expect(summary.downloaded).toBe(3);
      expect(seen(s, '/moved.bin')[0]?.authorization).toBe(basic('alice', 's3cret'));
      expect(seen(other, '/moved.bin')[0]?.authorization).toBeUndefined();
      expect(seen(s, '/own.bin')[0]?.authorization).toBe(basic('bob', 'pa:ss'));
      expect(seen(s, '/none.bin')[0]?.authorization).toBeUndefined();
      expect(seen(s, '/missing.bin')[0]?.authorization).toBe(basic('carol', 'hunter2'));
      // Never in a result or an event.
      const shown = JSON.stringify([summary, events]);
      expect(summary.results.find((r) => r.url.endsWith('/missing.bin'))?.error?.code).toBe(
        'ERR_DL_HTTP_STATUS',
      );
      for (const secret of ['s3cret', 'pa:ss', 'hunter2']) expect(shown).not.toContain(secret);
    } finally {
      await s.close();
      await other.close();
    }
  });

  it('http-user=/http-passwd= are not sent on from https: to http: (--allow-insecure-redirects)', async () => {
    const clear = await plain();
    const secure = await startServer(
      (_req, res) =>
        void res.writeHead(302, { location: `${clear.url}/down.bin`, 'content-length': '0' }).end(),
      { tls: true },
    );
    try {
      const { list, out } = await writeList(
        `${secure.url}/up.bin\n  http-user=alice\n  http-passwd=s3cret\n`,
      );
      const summary = await download({
        ...engine(mode),
        sources: [list],
        dir: out,
        caCertificate: TEST_CA_FILE,
        allowInsecureRedirects: true,
        retries: 0,
      });
      expect(summary.downloaded).toBe(1);
      expect(seen(secure, '/up.bin')[0]?.authorization).toBe(basic('alice', 's3cret'));
      expect(seen(clear, '/down.bin')[0]?.authorization).toBeUndefined();
    } finally {
      await secure.close();
      await clear.close();
    }
  });

  it("max-tries= sets how many attempts that entry makes; another entry keeps the run's --retries", async () => {
    const s = await startServer((_req, res) => {
      res.writeHead(503, { 'content-length': '4' }).end('busy');
    });
    try {
      const { list, out } = await writeList(
        `${s.url}/two.bin\n  max-tries=2\n${s.url}/one.bin\n  max-tries=1\n${s.url}/run.bin\n`,
      );
      const summary = await download({
        ...engine(mode),
        sources: [list],
        dir: out,
        retries: 3,
        retry: FAST_RETRY,
      });
      expect(summary.failed).toBe(3);
      const count = (p: string) => s.requests.filter((r) => r.path === p).length;
      expect([count('/two.bin'), count('/one.bin'), count('/run.bin')]).toEqual([2, 1, 4]);
      const message = (p: string) => summary.results.find((r) => r.url.endsWith(p))?.error?.message;
      expect(message('/two.bin')).toMatch(/\(attempt 2\/2\)$/);
      expect(message('/run.bin')).toMatch(/\(attempt 4\/4\)$/);
    } finally {
      await s.close();
    }
  });

  it("max-tries=0 keeps trying past the run's --retries, as aria2 does (the retries say of how many: unlimited)", async () => {
    let busy = 4;
    const s = await startServer((_req, res) => {
      if (busy-- > 0) return void res.writeHead(503, { 'content-length': '4' }).end('busy');
      res.writeHead(200, { 'content-length': '2' }).end('ok');
    });
    try {
      const { list, out } = await writeList(`${s.url}/again.bin\n  max-tries=0\n`);
      const { events, onEvent } = collect();
      const summary = await download({
        ...engine(mode),
        sources: [list],
        dir: out,
        retries: 0,
        retry: FAST_RETRY,
        onEvent,
      });
      expect(summary.downloaded).toBe(1);
      expect(s.requests).toHaveLength(5);
      const retries = events.filter((e) => e.type === 'retry');
      expect(retries.map((e) => e.type === 'retry' && e.error.message)).toEqual(
        [1, 2, 3, 4].map((n) => `503 Service Unavailable: GET ${s.url}/again.bin (attempt ${n}/unlimited)`),
      );
    } finally {
      await s.close();
    }
  });

  it("timeout= on a stalling server fails that entry only; the next one keeps the run's --timeout", async () => {
    const s = await startServer((req, res) => {
      // /stall.bin never answers; /slow.bin answers after a second, which is past the entry's timeout=.
      if (req.url === '/stall.bin') return;
      const timer = setTimeout(() => res.writeHead(200, { 'content-length': '2' }).end('ok'), 1000);
      res.on('close', () => clearTimeout(timer));
    });
    try {
      const { list, out } = await writeList(`${s.url}/stall.bin\n  timeout=0.3\n${s.url}/slow.bin\n`);
      const summary = await download({
        ...engine(mode),
        sources: [list],
        dir: out,
        concurrency: 1,
        retries: 0,
        timeoutMs: 20_000,
      });
      const [stall, slow] = [...summary.results].sort((a, b) => a.line - b.line);
      expect(stall?.error?.code).toBe('ERR_DL_TIMEOUT');
      expect(stall?.error?.message).toMatch(/headers timeout after 0.3 s/);
      expect(slow?.status).toBe('downloaded');
    } finally {
      await s.close();
    }
  });

  it('an aria2 option not used per entry is warned about once per option name, with FILE:LINE', async () => {
    const s = await plain();
    try {
      const { list, out } = await writeList(
        `${s.url}/a.bin\n  split=4\n  frobnicate=1\n${s.url}/b.bin\n  split=2\n  max-connection-per-server=2\n` +
          `  frobnicate=2\n`,
      );
      const { events, onEvent } = collect();
      const summary = await download({ ...engine(mode), sources: [list], dir: out, onEvent });
      expect(summary.downloaded).toBe(2);
      const warnings = events.filter(
        (e): e is Extract<DownloadEvent, { type: 'warning' }> => e.type === 'warning',
      );
      expect(warnings.map((w) => [w.source, w.line, w.message])).toEqual([
        [list, 2, "aria2 option 'split' is not used per entry; ignored (-x sets it for the whole run)"],
        [list, 3, "unknown aria2 option 'frobnicate' ignored"],
        [
          list,
          6,
          "aria2 option 'max-connection-per-server' is not used per entry; ignored (-x sets it for the whole run)",
        ],
      ]);
    } finally {
      await s.close();
    }
  });

  it('a bad value fails its entry as FILE:LINE; the other downloads go on', async () => {
    const s = await plain();
    try {
      const { list, out } = await writeList(
        `${s.url}/a.bin\n  max-tries=lots\n${s.url}/b.bin\n  header=Bad Name: x\n${s.url}/c.bin\n  timeout=0\n` +
          `${s.url}/ok.bin\n  header=X-Fine: yes\n`,
      );
      const summary = await download({ ...engine(mode), sources: [list], dir: out });
      expect(summary.downloaded).toBe(1);
      const byLine = [...summary.results].sort((a, b) => a.line - b.line);
      expect(byLine.map((r) => r.error?.message.split(':').slice(0, 2).join(':'))).toEqual([
        `${list}:2`,
        `${list}:4`,
        `${list}:6`,
        undefined,
      ]);
      expect(s.requests.map((r) => r.path)).toEqual(['/ok.bin']);
    } finally {
      await s.close();
    }
  });

  it('entries given to the library as objects carry the same settings, checked as list lines are', async () => {
    const s = await plain();
    try {
      const dir = await tmpDir();
      const at = (line: number, url: string) =>
        ({ kind: 'entry', url: `${s.url}${url}`, source: 'mine', line, options: {} }) as const;
      const summary = await download({
        ...engine(mode),
        dir,
        entries: [
          { ...at(1, '/lib.bin'), headers: { 'x-lib': 'yes' }, httpUser: 'u', httpPassword: 'p' },
          { ...at(2, '/upper.bin'), headers: { 'X-Upper': 'no' } },
          { ...at(3, '/tries.bin'), retries: -1 },
        ],
      });
      const byLine = [...summary.results].sort((a, b) => a.line - b.line);
      expect(byLine.map((r) => r.error?.message)).toEqual([
        undefined,
        "mine:2: headers: 'X-Upper' is not a header name in lower case",
        'mine:3: retries: expected a whole number from 0 to 1000, or Infinity',
      ]);
      expect(seen(s, '/lib.bin')[0]).toMatchObject({ 'x-lib': 'yes', authorization: basic('u', 'p') });
      expect(s.requests.map((r) => r.path)).toEqual(['/lib.bin']);
    } finally {
      await s.close();
    }
  });

  it("a shard read alone from its planned offset (as a queue worker reads it) carries its entries' options", async () => {
    const s = await plain();
    try {
      const { list, out } = await writeList(
        `${s.url}/a.bin\n  header=X-Shard: zero\n${s.url}/b.bin\n  header=X-Shard: one\n  user-agent=ua-b\n`,
      );
      // Shards of 2 lines: b.bin's user-agent= line is past the end of its shard (lines 3-4).
      const plan = await planShards(list, 2);
      const second = plan.shards[1]!;
      const summary = await download({
        ...engine(mode),
        sources: [list],
        dir: out,
        shardSize: 2,
        shard: {
          index: 1,
          count: plan.shards.length,
          start: { offset: second.offset, line: second.firstLine },
        },
      });
      expect(summary.downloaded).toBe(1);
      expect(seen(s, '/b.bin')[0]).toMatchObject({ 'x-shard': 'one', 'user-agent': 'ua-b' });
      expect(s.requests.map((r) => r.path)).toEqual(['/b.bin']);
    } finally {
      await s.close();
    }
  });
});
