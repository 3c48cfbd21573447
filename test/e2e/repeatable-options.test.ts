import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/http.js';
import { runCli } from '../helpers/cli.js';
import { listFiles, tmpDir } from '../helpers/tmp.js';

let server: TestServer;
beforeAll(async () => {
  server = await startServer((_req, res) => res.end('x'));
});
afterAll(async () => {
  await server.close();
});

/** The X-A / X-B headers each path was requested with. */
function seen(): Record<string, string> {
  return Object.fromEntries(
    server.requests.map((r) => [r.path, `${r.headers['x-a'] ?? '-'} ${r.headers['x-b'] ?? '-'}`]),
  );
}

describe('repeatable options take one value each, wherever they stand', () => {
  const cases: [string, (u1: string, u2: string, d: string) => string[]][] = [
    ['in front of the sources', (u1, u2, d) => ['-d', d, '-H', 'X-A: 1', '-H', 'X-B: 2', u1, u2]],
    ['between the sources', (u1, u2, d) => [u1, '-H', 'X-A: 1', u2, '--header', 'X-B: 2', '-d', d]],
    ['after the sources', (u1, u2, d) => [u1, u2, '-d', d, '-H', 'X-A: 1', '--header=X-B: 2']],
    [
      'with the get command and --',
      (u1, u2, d) => ['get', '-H', 'X-A: 1', '-d', d, '-H', 'X-B: 2', '--', u1, u2],
    ],
    [
      'on both sides of a source, then --',
      (u1, u2, d) => ['-H', 'X-A: 1', u1, '-d', d, '-H', 'X-B: 2', '--', u2],
    ],
  ];
  it.each(cases)('-H %s', async (_name, argv) => {
    const dir = await tmpDir();
    const tag = Math.random().toString(36).slice(2);
    const u1 = `${server.url}/${tag}-1`;
    const u2 = `${server.url}/${tag}-2`;
    const r = await runCli(argv(u1, u2, dir));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await listFiles(dir)).toEqual([`${tag}-1`, `${tag}-2`]);
    expect(seen()[`/${tag}-1`]).toBe('1 2');
    expect(seen()[`/${tag}-2`]).toBe('1 2');
  });
});

describe('-i FILE (as aria2c and wget take a list)', () => {
  it('reads each list given with -i, with URLs given as arguments too', async () => {
    const dir = await tmpDir();
    const { writeFile } = await import('node:fs/promises');
    const tag = Math.random().toString(36).slice(2);
    await writeFile(`${dir}/a.txt`, `${server.url}/${tag}-a\n`);
    await writeFile(`${dir}/b.txt`, `${server.url}/${tag}-b\n`);
    const out = `${dir}/out`;
    const r = await runCli([
      '-i',
      `${dir}/a.txt`,
      `${server.url}/${tag}-c`,
      '--input-file',
      `${dir}/b.txt`,
      '-d',
      out,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await listFiles(out)).toEqual([`${tag}-a`, `${tag}-b`, `${tag}-c`]);
  });
});

describe('--', () => {
  it('ends the options of hash too: a file named like an option is hashed', async () => {
    const dir = await tmpDir();
    const { writeFile } = await import('node:fs/promises');
    await writeFile(`${dir}/-x.bin`, 'abc');
    const r = await runCli(['hash', '--', `${dir}/-x.bin`]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      `ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  ${dir}/-x.bin\n`,
    );
  });
});

describe('messages for a mistyped command line (exit 2, nothing downloaded)', () => {
  it.each([
    // Named as typed: -j, not --concurrency.
    [['-j', 'four'], /^dlpool: -j: expected a number, got 'four'\n/],
    [['--concurrency', 'four'], /^dlpool: --concurrency: expected a number, got 'four'\n/],
    [['-j'], /^dlpool: -j: needs a value/],
    [['-H'], /^dlpool: -H: needs a value/],
    [['--per-hots', '2'], /unknown option --per-hots \(did you mean --per-host\?\)/],
  ])('%j', async (args, message) => {
    const dir = await tmpDir();
    // (-d first: after -j or -H it would be taken as their missing value.)
    const r = await runCli(['-d', dir, `${server.url}/typo`, ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/NaN|internal error/);
    expect(await listFiles(dir)).toEqual([]);
  });
});

describe('--limit-rate', () => {
  it('holds all downloads together to the rate (never faster; both modes)', async () => {
    const { createServer } = await import('../../src/server/index.js');
    const big = await createServer({});
    try {
      for (const mode of ['async', 'threads']) {
        const dir = await tmpDir();
        // 4 x 256 KiB at 512 KiB/s: two seconds (test/e2e/limit-rate.test.ts checks the average). Without the
        // limit: a few ms.
        const urls = [1, 2, 3, 4].map((i) => `${big.url}gen/256K/f${i}.bin`);
        const started = performance.now();
        const r = await runCli([...urls, '-d', dir, '--limit-rate', '512K', '--mode', mode, '-w', '2', '-q']);
        const seconds = (performance.now() - started) / 1000;
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        expect((await listFiles(dir)).length).toBe(4);
        expect(seconds, mode).toBeGreaterThan(0.9);
      }
    } finally {
      await big.close();
    }
  });

  it('says what it expects for a bad rate', async () => {
    const r = await runCli([`${server.url}/x`, '--limit-rate', 'fast']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--limit-rate: expected bytes per second such as 500K or 2M, got fast/);
  });
});

describe('-c SUMS that does not cover every URL', () => {
  it('says how many files it did not verify; --require-checksum fails them without fetching', async () => {
    const dir = await tmpDir();
    const { writeFile } = await import('node:fs/promises');
    const crypto = await import('node:crypto');
    const tag = Math.random().toString(36).slice(2);
    // The test server answers 'x' for every path.
    await writeFile(`${dir}/SUMS`, `${crypto.createHash('sha256').update('x').digest('hex')}  ${tag}-a\n`);
    const urls = ['a', 'b', 'c'].map((n) => `${server.url}/${tag}-${n}`);
    const warned = await runCli([...urls, '-c', `${dir}/SUMS`, '-d', `${dir}/one`]);
    expect(warned.code).toBe(0);
    expect(warned.stderr).toMatch(/warning: 2 files had no entry in .*SUMS and were not verified/);

    const before = server.requests.length;
    const strict = await runCli([...urls, '-c', `${dir}/SUMS`, '-d', `${dir}/two`, '--require-checksum']);
    expect(strict.code).toBe(1);
    expect(strict.stderr.match(/\[ERR_DL_NO_CHECKSUM\]/g)).toHaveLength(2);
    expect(await listFiles(`${dir}/two`)).toEqual([`${tag}-a`]);
    // Only the covered URL was requested.
    expect(server.requests.slice(before).map((r) => r.path)).toEqual([`/${tag}-a`]);
  });
});
