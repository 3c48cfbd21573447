import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../../src/server/server.js';
import { runCli } from '../helpers/cli.js';
import type { TestServer } from '../helpers/http.js';
import { tmpDir } from '../helpers/tmp.js';
import { type Served, versionedServer } from '../helpers/versioned-server.js';

const LAST_MODIFIED = 'Mon, 01 Jan 2024 10:00:00 GMT';
const files = new Map<string, Served>();
let server: TestServer;
beforeAll(async () => {
  server = await versionedServer(files);
});
afterAll(() => server.close());

async function getSchema() {
  const file = fileURLToPath(new URL('../../schemas/get.schema.json', import.meta.url));
  return new Ajv2020({ allErrors: true, strict: true }).compile(
    JSON.parse(await fs.readFile(file, 'utf8')) as object,
  );
}

describe('dlpool -N', () => {
  it('says unchanged in the text lines, the totals and --json (valid against the schema)', async () => {
    files.set('/same.txt', { body: Buffer.from('same\n'), etag: '"s1"', lastModified: LAST_MODIFIED });
    files.set('/new.txt', { body: Buffer.from('old\n'), etag: '"n1"', lastModified: LAST_MODIFIED });
    const dir = await tmpDir();
    const urls = ['/same.txt', '/new.txt'].map((p) => `${server.url}${p}`);
    const first = await runCli([...urls, '-d', dir, '-N']);
    expect(first.code).toBe(0);
    files.set('/new.txt', {
      body: Buffer.from('new\n'),
      etag: '"n2"',
      lastModified: 'Tue, 02 Jan 2024 10:00:00 GMT',
    });
    const text = await runCli([...urls, '-d', dir, '--timestamping']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^unchanged {3}same\.txt {2}\(5 B, not modified on the server\) {2}<- http/m);
    expect(text.stdout).toMatch(/^downloaded {2}new\.txt /m);
    expect(text.stdout).toMatch(
      /1 downloaded, 0 skipped \(already present\), 1 unchanged \(not modified on the server\), 0 failed/,
    );
    expect(await fs.readFile(path.join(dir, 'new.txt'), 'utf8')).toBe('new\n');

    // The ETags kept under DIR/.dlpool/ are not downloads: hash -r lists the files of the list only.
    expect((await fs.readdir(path.join(dir, '.dlpool', 'etags'))).length).toBe(2);
    const hashed = await runCli(['hash', '-r', dir]);
    expect(
      hashed.stdout
        .trim()
        .split('\n')
        .map((l) => path.basename(l.split('  ')[1]!)),
    ).toEqual(['new.txt', 'same.txt']);

    const json = await runCli([...urls, '-d', dir, '-N', '--json']);
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout) as { results: { status: string; path: string }[]; unchanged: number };
    const check = await getSchema();
    expect(check(doc), JSON.stringify(check.errors)).toBe(true);
    expect(doc.results.map((r) => r.status)).toEqual(['unchanged', 'unchanged']);
    expect(doc.unchanged).toBe(2);
  });

  it('-N with --overwrite is a usage error (exit 2), nothing fetched', async () => {
    const before = server.requests.length;
    const r = await runCli([`${server.url}/same.txt`, '-d', await tmpDir(), '-N', '--overwrite']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^dlpool: -N: not with overwrite/m);
    expect(server.requests.length).toBe(before);
  });

  it('--no-remote-time keeps the local time; by default the file has the Last-Modified', async () => {
    files.set('/t.txt', { body: Buffer.from('t\n'), lastModified: LAST_MODIFIED });
    const [remote, local] = [await tmpDir(), await tmpDir()];
    expect((await runCli([`${server.url}/t.txt`, '-d', remote])).code).toBe(0);
    expect((await runCli([`${server.url}/t.txt`, '-d', local, '--no-remote-time'])).code).toBe(0);
    expect((await fs.stat(path.join(remote, 't.txt'))).mtimeMs).toBe(Date.parse(LAST_MODIFIED));
    expect((await fs.stat(path.join(local, 't.txt'))).mtimeMs).toBeGreaterThan(
      Date.parse(LAST_MODIFIED) + 1000,
    );
  });

  it("keeps a mirror of dlpool serve --root current: unchanged, then the edited file replaced with the server's time", async () => {
    const root = await tmpDir();
    await fs.writeFile(path.join(root, 'a.txt'), 'one\n');
    const served = await createServer({ root });
    try {
      const dir = await tmpDir();
      const url = `${served.url}a.txt`;
      expect((await runCli([url, '-d', dir, '-N'])).stdout).toMatch(/^downloaded {2}a\.txt/m);
      expect((await runCli([url, '-d', dir, '-N'])).stdout).toMatch(/^unchanged {3}a\.txt/m);
      await fs.writeFile(path.join(root, 'a.txt'), 'two, longer\n');
      const later = new Date(Date.now() + 60_000);
      await fs.utimes(path.join(root, 'a.txt'), later, later);
      expect((await runCli([url, '-d', dir, '-N'])).stdout).toMatch(/^downloaded {2}a\.txt/m);
      expect(await fs.readFile(path.join(dir, 'a.txt'), 'utf8')).toBe('two, longer\n');
      expect((await fs.stat(path.join(dir, 'a.txt'))).mtimeMs).toBe(
        Math.floor(later.getTime() / 1000) * 1000,
      );
    } finally {
      await served.close();
    }
  });
});
