import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashRow, judge } from '../../../../bench/hash.js';
import { oursCommand, shellQuote } from '../../../../bench/peers.js';
import { queueFigures, type QueueReport, renderQueue } from '../../../../bench/queue.js';
import { checkJson } from '../../../../bench/scale.js';
import { splitRow } from '../../../../bench/split.js';
import { tmpDir } from '../../../helpers/tmp.js';

const ok = (wall: number, cpu?: number, rss?: number) => ({ ok: true, wall, cpu, rss, stderr: '' });
const failed = (wall: number) => ({ ok: false, wall, cpu: 9, rss: 999, stderr: 'boom' });

describe('bench:split rows', () => {
  it('medians of the runs that passed; one failed run makes the row not ok', () => {
    const r = splitRow('dlpool -x 4', [ok(2, 1, 100), ok(4, 3, 120), ok(3, 2, 110)], 256 * 1024 * 1024);
    expect(r).toEqual({ name: 'dlpool -x 4', ok: true, wall: 3, mibs: 256 / 3, cpu: 2, rss: 110 });
    const bad = splitRow('aria2c -x 4 -s 4', [ok(2), failed(1)], 1024 * 1024);
    expect(bad).toMatchObject({ ok: false, wall: 2, cpu: undefined, rss: undefined });
  });
});

describe('bench:hash rows and targets', () => {
  it('a row: wall median, GB/s, speed-up against the reference, CPU median, peak RSS of the passing runs', () => {
    const r = hashRow('x', [ok(1, 1, 50), ok(3, 2, 70), failed(0.1)], 0.5, 2);
    expect(r).toEqual({ name: 'x', ok: '2/3', wall: 2, gbps: 0.25, speedup: 1, cpu: 1.5, rss: 70 });
    expect(hashRow('none', [failed(1)], 0.5, 2)).toMatchObject({
      ok: '0/1',
      wall: undefined,
      gbps: undefined,
    });
  });

  it('targets judged from the rows present; absent peers are left out', () => {
    const rows = [
      hashRow('dlpool verify --hash-pool threads -w 1', [ok(1, 1)], 1, 1),
      hashRow('dlpool verify --hash-pool threads -w 2', [ok(0.5, 1.1)], 1, 1),
    ];
    const lines = judge(rows, [{ name: 'verify -q, 10 lines', wall: 1, rss: 300 }]);
    expect(lines).toContain('- verify threads -w 2 / -w 1, wall: 0.50 (target <= 0.6) met');
    expect(lines).toContain('- verify -q, 10 lines: peak RSS / 200 MiB: 1.50 (target <= 1) MISSED');
    expect(lines.join('\n')).not.toContain('python seed');
  });
});

describe('bench:queue figures', () => {
  it('per-shard overhead from the medians: what one worker adds beyond its start and stop', () => {
    // 2000 lines in shards of 250: 8 shards. One get 6.0 s (0.2 s of it start and stop): 725 ms a shard.
    const f = queueFigures(
      { n: 2000, shard: 250 },
      { single: 6000, getFixed: 200, workerFixed: 400, one: 7200, two: 4000 },
    );
    expect(f.shardMs).toBe(725);
    expect(f.overheadPerShardMs).toBe(125); // (7200 - 400 - 5800) / 8
    expect(f.overheadPercentOfShard).toBeCloseTo((125 / 725) * 100, 6);
    expect(f.overheadPercentOfDefaultShard).toBeCloseTo((125 / (725 * 40)) * 100, 6);
    expect(f.speedupTwoOverOne).toBe(1.8);
    const none = queueFigures(
      { n: 10, shard: 5 },
      { single: 1, getFixed: 0, workerFixed: 0, one: undefined, two: 1 },
    );
    expect(none.overheadPerShardMs).toBeNull();
    expect(none.speedupTwoOverOne).toBeNull();
    const report = {
      runs: 3,
      singleMs: 6000,
      queue: [{ workers: 1, ms: 7200 }],
      queueAddMs: 500,
      startStopMs: { get: 200, worker: 400 },
      shardSize: 250,
      redisBytesPerPendingShard: 1100,
      ...f,
    } as QueueReport;
    expect(renderQueue(report)).toContain(
      'queue overhead per shard: 125 ms, 17.24 % of a 250-line shard (725 ms)',
    );
  });
});

describe('bench:scale --json check', () => {
  it('accepts the streamed layout and counts its results; finds a line that is not a result', async () => {
    const dir = await tmpDir();
    const good = path.join(dir, 'good.json');
    await fs.writeFile(
      good,
      '{"results":[\n{"url":"u1","status":"downloaded"}\n,{"url":"u2","status":"downloaded"}\n],"downloaded":2,"failed":0}\n',
    );
    expect(await checkJson(good)).toEqual({
      valid: true,
      problem: undefined,
      lines: 4,
      results: 2,
      totals: { downloaded: 2, failed: 0 },
    });
    const bad = path.join(dir, 'bad.json');
    await fs.writeFile(
      bad,
      '{"results":[\n{"url":"u1","status":"downloaded"}\n{"url":"u2"}\n],"downloaded":2}\n',
    );
    const r = await checkJson(bad);
    expect(r.valid).toBe(false);
    expect(r.problem).toMatch(/^line 3: /);
  });
});

describe('bench:peers command', () => {
  it('quotes words for bash -c, and leaves peers.sh its placeholders', () => {
    expect(shellQuote("it's a dir")).toBe(`'it'\\''s a dir'`);
    expect(oursCommand('/a b/bin/dlpool.js')).toMatch(
      /^'.+' '\/a b\/bin\/dlpool\.js' get -q -j \{n\} -d \{dir\} \{list\}$/,
    );
  });
});
