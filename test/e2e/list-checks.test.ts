import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startServer, type TestServer } from '../helpers/http.js';
import { listFiles, MODES, tmpDir } from '../helpers/tmp.js';

const BODY = Buffer.from('the same bytes for every path\n');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let server: TestServer;
beforeAll(async () => {
  server = await startServer((_req, res) => {
    res.writeHead(200, { 'content-length': String(BODY.length) });
    res.end(BODY);
  });
});
afterAll(async () => {
  await server.close();
});

interface JsonDoc {
  results: {
    url: string;
    line: number;
    status: string;
    path: string | null;
    error: { code: string; message: string } | null;
  }[];
  downloaded: number;
  failed: number;
}

/** Paths this server was asked for since `from`. */
const asked = (from: number) => server.requests.slice(from).map((r) => r.path);

describe.each(MODES)('a bad option line fails its whole entry (%s mode)', (mode) => {
  const cases: [string, string, RegExp][] = [
    ['checksum=sha-256=deadbeef', 'checksum', /bad checksum 'sha-256=deadbeef': sha-256 needs 64 hex digits/],
    ['out=', 'out', /option 'out' is empty/],
    ['lowest-speed-limit=fast', 'speed', /option 'lowest-speed-limit': expected bytes per second/],
    ['novalue', 'novalue', /option line is not key=value/],
    ['max-tries=lots', 'tries', /option 'max-tries': expected 0 \(no limit\) or a number of tries/],
    ['timeout=0', 'timeout', /option 'timeout': expected seconds/],
    ['header=Range: bytes=0-9', 'range', /option 'header': Range cannot be set per entry/],
    ['header=X-Euro: \u20ac', 'euro', /the value of 'X-Euro': the value holds a control character/],
  ];
  for (const [option, name, message] of cases) {
    it(`'${option}': one failed result naming FILE:LINE, nothing fetched, nothing on disk`, async () => {
      const dir = await tmpDir();
      const list = path.join(dir, 'list.txt');
      await fs.writeFile(list, `${server.url}/${name}.bin\n  ${option}\n${server.url}/ok.bin\n`);
      const out = path.join(dir, 'out');
      const from = server.requests.length;
      const r = await runCli([list, '-d', out, '--mode', mode, '--json']);
      expect(r.code).toBe(1);
      const doc = JSON.parse(r.stdout) as JsonDoc;
      expect(doc).toMatchObject({ downloaded: 1, failed: 1 });
      expect(doc.results).toHaveLength(2);
      const bad = doc.results.find((x) => x.status === 'failed');
      expect(bad).toMatchObject({ url: `${server.url}/${name}.bin`, line: 1, path: null });
      expect(bad?.error?.code).toBe('ERR_DL_LIST_LINE');
      expect(bad?.error?.message.startsWith(`${list}:2: `)).toBe(true);
      expect(bad?.error?.message).toMatch(message);
      expect(asked(from)).toEqual(['/ok.bin']);
      expect(await listFiles(out)).toEqual(['ok.bin']);
    });
  }

  it('an aria2 option not used per entry: one warning line per option name with FILE:LINE; secrets never shown', async () => {
    const dir = await tmpDir();
    const list = path.join(dir, 'list.txt');
    await fs.writeFile(
      list,
      `${server.url}/w1.bin\n  split=4\n  http-user=al\n  http-passwd=pw-not-shown\n` +
        `${server.url}/w2.bin\n  split=8\n  gid=1\n  header=X-Key: key-not-shown\n`,
    );
    const out = path.join(dir, 'out');
    const r = await runCli([list, '-d', out, '--mode', mode, '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr.split('\n').filter((l) => l.includes('warning'))).toEqual([
      `dlpool: warning: ${list}:2: aria2 option 'split' is not used per entry; ignored (-x sets it for the whole run)`,
      `dlpool: warning: ${list}:7: aria2 option 'gid' is not used per entry; ignored`,
    ]);
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/not-shown/);
    expect(await listFiles(out)).toEqual(['w1.bin', 'w2.bin']);
  });

  it('plain output and --require-checksum: one FAILED line and "1 failed" for the one URL', async () => {
    const dir = await tmpDir();
    const list = path.join(dir, 'list.txt');
    await fs.writeFile(list, `${server.url}/x.bin\n  checksum=sha-256=deadbeef\n`);
    const out = path.join(dir, 'out');
    const from = server.requests.length;
    const r = await runCli([list, '-d', out, '--mode', mode, '--require-checksum']);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toMatch(/downloaded {2}/);
    expect(`${r.stdout}${r.stderr}`.match(/FAILED/g)).toHaveLength(1);
    // Where the fault is, once: the option line (the result's line is its entry's, line 1).
    expect(r.stderr).toContain(`FAILED      ${list}:2: bad checksum 'sha-256=deadbeef'`);
    expect(`${r.stdout}${r.stderr}`).toMatch(/0 downloaded, 0 skipped \(already present\), 1 failed/);
    expect(asked(from)).toEqual([]);
    expect(await listFiles(out)).toEqual([]);
  });
});

describe('-c FILE with no usable line', () => {
  for (const [what, text] of [
    ['only bad lines', 'garbage\nmore garbage\n'],
    ['empty', ''],
    ['only comments', '# nothing here\n\n'],
  ] as const) {
    it(`(${what}) exits 2 before any download, as sha256sum -c finds no checksum lines`, async () => {
      const dir = await tmpDir();
      const sums = path.join(dir, 'bad.sums');
      await fs.writeFile(sums, text);
      const out = path.join(dir, 'out');
      const from = server.requests.length;
      const r = await runCli([`${server.url}/a.bin`, '-c', sums, '-d', out]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        new RegExp(`^dlpool: checksum file '${sums}': no properly formatted checksum lines found`, 'm'),
      );
      expect(asked(from)).toEqual([]);
      await expect(fs.stat(out)).rejects.toMatchObject({ code: 'ENOENT' });
    });
  }

  it('a file that is not a checksum file at all (5000 lines) gets a few warnings, not one per line', async () => {
    const dir = await tmpDir();
    const sums = path.join(dir, 'not-sums.bin');
    await fs.writeFile(sums, Array.from({ length: 5000 }, (_, i) => `garbage ${i}`).join('\n'));
    const r = await runCli([`${server.url}/a.bin`, '-c', sums, '-d', path.join(dir, 'out')]);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines.filter((l) => /^dlpool: warning: .*:\d+: not a checksum line/.test(l))).toHaveLength(10);
    expect(lines).toContain(`dlpool: warning: ${sums}: 4990 more lines that are not checksum lines`);
    expect(lines.at(-1)).toBe(`dlpool: checksum file '${sums}': no properly formatted checksum lines found`);
  });

  it('a file with some good lines warns FILE:LINE about the others and verifies against the good ones', async () => {
    const dir = await tmpDir();
    const sums = path.join(dir, 'part.sums');
    await fs.writeFile(sums, `garbage\n${sha256(BODY)}  a.bin\n`);
    const r = await runCli([`${server.url}/a.bin`, '-c', sums, '-d', path.join(dir, 'out')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`warning: ${sums}:1: not a checksum line`);
    expect(r.stderr).not.toMatch(/not verified/);
  });
});

describe('-c URL', () => {
  it('says -c takes a checksum file (wget -c and aria2c -c mean continue, which dlpool does by default)', async () => {
    const dir = await tmpDir();
    const from = server.requests.length;
    for (const args of [
      ['-c', `${server.url}/a.bin`, '-d', dir],
      ['-c', `${server.url}/a.bin`, `${server.url}/b.bin`, '-d', dir],
      [`--checksums=${server.url.replace('//', '//user:s3cret@')}/a.bin`, '-d', dir],
    ]) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^dlpool: -c \(--checksums\) takes a checksum file, not a URL: http:\/\//m);
      expect(r.stderr).toMatch(/resumes .* by default/);
      expect(r.stderr).not.toMatch(/give at least one URL|s3cret/);
    }
    expect(asked(from)).toEqual([]);
    expect(await listFiles(dir)).toEqual([]);
  });
});
