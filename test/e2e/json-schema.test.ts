import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startServer, type TestServer } from '../helpers/http.js';
import { tmpDir } from '../helpers/tmp.js';

/** Every command's --json against its schema in schemas/, from real runs that give every status. */
const ajv = new Ajv2020({ allErrors: true, strict: true });
async function validator(command: string) {
  const file = fileURLToPath(new URL(`../../schemas/${command}.schema.json`, import.meta.url));
  return ajv.compile(JSON.parse(await fs.readFile(file, 'utf8')) as object);
}
function valid(check: Awaited<ReturnType<typeof validator>>, doc: unknown): true {
  if (!check(doc)) throw new Error(JSON.stringify(check.errors, null, 2));
  return true;
}
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

let server: TestServer;
beforeAll(async () => {
  server = await startServer((req, res) => {
    if (req.url === '/missing') res.writeHead(404, { 'content-length': '0' }).end();
    else res.writeHead(200, { 'content-length': '5' }).end('hello');
  });
});
afterAll(() => server.close());

describe('--json: one vocabulary, one shape, a schema per command', () => {
  it('get: downloaded, skipped and failed results and the totals match schemas/get.schema.json', async () => {
    const check = await validator('get');
    const dir = await tmpDir();
    await fs.writeFile(path.join(dir, 'present.txt'), 'hello');
    const urls = ['/new.txt', '/present.txt', '/missing'].map((p) => `${server.url}${p}`);
    const r = await runCli([...urls, '-d', dir, '--hash', 'sha256', '--retries', '0', '--json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as { results: { status: string; error: { status: number } | null }[] };
    expect(valid(check, doc)).toBe(true);
    expect(doc.results.map((x) => x.status).sort()).toEqual(['downloaded', 'failed', 'skipped']);
    expect(doc.results.find((x) => x.status === 'failed')?.error?.status).toBe(404);
    // The text output says the same words.
    const text = await runCli([...urls, '-d', dir, '--retries', '0']);
    expect(text.stdout).toMatch(/^skipped {5}new\.txt .*already present/m);
    expect(text.stdout).toMatch(/0 downloaded, 2 skipped \(already present\), 1 failed/);
  });

  it('verify: ok, failed and unreadable, the words of its totals, match schemas/verify.schema.json', async () => {
    const check = await validator('verify');
    const dir = await tmpDir();
    await fs.writeFile(path.join(dir, 'a'), 'alpha');
    await fs.writeFile(path.join(dir, 'b'), 'beta');
    const sums = path.join(dir, 'SUMS');
    await fs.writeFile(sums, `${sha('alpha')}  a\n${sha('other')}  b\n${sha('x')}  gone\nnot a line\n`);
    const r = await runCli(['verify', sums, '-d', dir, '--json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as Record<string, unknown> & { results: { status: string }[] };
    expect(valid(check, doc)).toBe(true);
    expect(doc.results.map((x) => x.status)).toEqual(['ok', 'failed', 'unreadable']);
    expect(doc.results.map((x) => (x as { error?: unknown }).error)).toEqual([
      null,
      null,
      { code: 'ERR_DL_FILE', message: 'No such file or directory', errno: 'ENOENT' },
    ]);
    expect(doc).toMatchObject({ ok: 1, failed: 1, unreadable: 1, interrupted: null });
    expect(r.stdout.split('\n')[1]).toMatch(/^\{"name":"a"/); // one result per line, as get
    // Text keeps sha256sum -c's words.
    const text = await runCli(['verify', sums, '-d', dir]);
    expect(text.stdout).toBe('a: OK\nb: FAILED\ngone: FAILED open or read\n');
    // sha256sum -c's warnings, counted in words that agree with the number.
    expect(text.stderr).toContain('dlpool: WARNING: 1 listed file could not be read\n');
    expect(text.stderr).toContain('dlpool: WARNING: 1 computed checksum did NOT match\n');
  });

  it('hash: ok and unreadable match schemas/hash.schema.json', async () => {
    const check = await validator('hash');
    const dir = await tmpDir();
    await fs.writeFile(path.join(dir, 'a'), 'alpha');
    const r = await runCli(['hash', 'a', 'gone', '--json'], { cwd: dir });
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as { results: { status: string; hex: string | null }[] };
    expect(valid(check, doc)).toBe(true);
    expect(doc.results).toMatchObject([
      { name: 'a', status: 'ok', hex: sha('alpha') },
      // An error is an object with a code, as get's: the words for people, the errno for programs.
      {
        name: 'gone',
        status: 'unreadable',
        hex: null,
        error: { code: 'ERR_DL_FILE', message: 'No such file or directory', errno: 'ENOENT' },
      },
    ]);
  });

  it('the schemas are strict: another word or an unknown field fails them', async () => {
    const check = await validator('get');
    const result = {
      url: 'u',
      source: 'argv',
      line: 1,
      path: 'a',
      status: 'present',
      bytes: 0,
      transferred: 0,
      attempts: 0,
      ms: 0,
      resumed: false,
      mirror: null,
      digest: null,
      error: null,
    };
    const totals = {
      downloaded: 0,
      skipped: 1,
      unchanged: 0,
      failed: 0,
      checked: 0,
      bytes: 0,
      transferred: 0,
      retries: 0,
      unverified: 1,
      elapsedMs: 1,
      interrupted: null,
      dir: '/x',
      errors: [],
    };
    expect(check({ results: [result], ...totals })).toBe(false);
    expect(check({ results: [{ ...result, status: 'skipped' }], ...totals })).toBe(true);
    expect(check({ results: [{ ...result, status: 'skipped', extra: 1 }], ...totals })).toBe(false);
  });
});
