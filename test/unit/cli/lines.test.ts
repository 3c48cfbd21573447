import { describe, expect, it } from 'vitest';
import { resultLine, totalsLine } from '../../../src/cli/render/lines.js';
import type { FileResult } from '../../../src/events.js';
import type { DownloadSummary } from '../../../src/report/summary.js';

const summary = (over: Partial<DownloadSummary>): DownloadSummary => ({
  results: [],
  downloaded: 1,
  skipped: 0,
  unchanged: 0,
  failed: 0,
  checked: 0,
  bytes: 1024,
  transferred: 1024,
  retries: 0,
  unverified: 0,
  elapsedMs: 1000,
  interrupted: undefined,
  dir: '/out',
  errors: [],
  ...over,
});

describe('the totals line', () => {
  it('counts retries in words that agree with the number', () => {
    expect(totalsLine(summary({ retries: 0 }))).not.toMatch(/retr/);
    expect(totalsLine(summary({ retries: 1 }))).toMatch(/, 1 retry ->/);
    expect(totalsLine(summary({ retries: 2 }))).toMatch(/, 2 retries ->/);
  });

  it('after a resume: file bytes and transferred bytes apart, the speed from what moved', () => {
    const line = totalsLine(summary({ bytes: 128 * 1048576, transferred: 76 * 1048576, elapsedMs: 4000 }));
    expect(line).toMatch(/128\.0 MiB of files, 76\.0 MiB transferred in 4\.00 s \(19\.0 MiB\/s\)/);
    expect(totalsLine(summary({}))).toMatch(/; 1\.00 KiB in /);
  });

  it('-o -: the body went to stdout, and no .part was kept when interrupted', () => {
    const line = totalsLine(summary({ dir: '-', interrupted: 'SIGINT' }));
    expect(line).toMatch(/ -> stdout \(interrupted by SIGINT\)$/);
    expect(totalsLine(summary({ interrupted: 'SIGINT' }))).toMatch(
      /-> \/out \(interrupted by SIGINT; \.part files kept\)$/,
    );
  });

  it('--spider: what was checked, nothing downloaded', () => {
    const line = totalsLine(summary({ downloaded: 0, checked: 3, failed: 1, bytes: 0, transferred: 0 }));
    expect(line).toMatch(/^dlpool: 3 checked \(would download\), 1 failed; in 1\.00 s -> \/out$/);
  });

  it('--spider where every URL failed: still what was checked, not what was downloaded', () => {
    const none = summary({ downloaded: 0, checked: 0, failed: 2, bytes: 0, transferred: 0 });
    expect(totalsLine(none, true)).toMatch(
      /^dlpool: 0 checked \(would download\), 2 failed; in 1\.00 s -> \/out$/,
    );
  });
});

describe('a result line', () => {
  const result = (over: Partial<FileResult>): FileResult => ({
    id: 1,
    url: 'http://a/f.bin',
    source: 'list.txt',
    line: 1,
    path: 'f.bin',
    status: 'downloaded',
    bytes: 1024,
    transferred: 1024,
    attempts: 1,
    ms: 50,
    resumed: false,
    ...over,
  });

  it('--spider: checked, the name under -d as typed, the answer and the size', () => {
    const checked = result({
      status: 'checked',
      bytes: 0,
      check: { status: 206, size: 3000, method: 'GET' },
    });
    expect(resultLine(checked, 'out')).toBe('checked     out/f.bin  (206 GET, 2.93 KiB)  <- http://a/f.bin');
    const unknown = result({
      status: 'checked',
      attempts: 2,
      check: { status: 200, size: undefined, method: 'HEAD' },
    });
    expect(resultLine(unknown)).toBe(
      'checked     f.bin  (200 HEAD, size unknown, 2 attempts)  <- http://a/f.bin',
    );
  });

  it('says skipped (already present) as the JSON does, and which mirror a file came from', () => {
    expect(resultLine(result({ status: 'skipped', attempts: 0 }))).toMatch(
      /^skipped {5}f\.bin {2}\(1\.00 KiB, already present\) {2}<- http:\/\/a\/f\.bin$/,
    );
    expect(resultLine(result({ attempts: 2, mirror: 'http://b/f.bin' }))).toMatch(
      /2 attempts\) {2}<- http:\/\/b\/f\.bin \(mirror of http:\/\/a\/f\.bin\)$/,
    );
  });
});
