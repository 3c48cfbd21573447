import fs from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startServer, type TestServer } from '../helpers/http.js';
import { tmpDir } from '../helpers/tmp.js';

// --spider (--dry-run) as users run it: lines or --json on stdout, the exit code of a real run, nothing on disk.

let server: TestServer;
beforeAll(async () => {
  server = await startServer((req, res) => {
    const url = req.url ?? '';
    if (url === '/a.bin') return res.writeHead(200, { 'content-length': 2048 }).end();
    if (url === '/nohead.bin') {
      if (req.method === 'HEAD') return res.writeHead(405).end();
      return res.writeHead(206, { 'content-range': 'bytes 0-0/3000', 'content-length': 1 }).end('z');
    }
    res.writeHead(404).end();
  });
});
afterAll(() => server.close());

describe.each(['async', 'threads'])('--spider (--mode %s)', (mode) => {
  it('says each URL would download, with its status, size and name under -d; exit 0; -d never made', async () => {
    const cwd = await tmpDir();
    const r = await runCli(
      ['--spider', `${server.url}/a.bin`, `${server.url}/nohead.bin`, '-d', 'out/sub', '--mode', mode],
      { cwd },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^checked {5}out\/sub\/a\.bin {2}\(200 HEAD, 2\.00 KiB\) {2}<- http:\S+\/a\.bin$/m,
    );
    expect(r.stdout).toMatch(/^checked {5}out\/sub\/nohead\.bin {2}\(206 GET, 2\.93 KiB\)/m);
    expect(r.stdout).toMatch(/^dlpool: 2 checked \(would download\), 0 failed; /m);
    expect(await fs.readdir(cwd)).toEqual([]);
  });

  it('every URL failing: the totals still say what was checked, not what was downloaded', async () => {
    const cwd = await tmpDir();
    const r = await runCli(['--spider', `${server.url}/gone.bin`, '--mode', mode, '--retries', '0'], { cwd });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^dlpool: 0 checked \(would download\), 1 failed; /m);
    expect(r.stdout).not.toMatch(/downloaded/);
  });

  it('--dry-run --json: checked and failed results match the schema; a 404 gives exit 1', async () => {
    const cwd = await tmpDir();
    const r = await runCli(
      [
        '--dry-run',
        '--json',
        `${server.url}/a.bin`,
        `${server.url}/gone.bin`,
        '--mode',
        mode,
        '--retries',
        '0',
      ],
      { cwd },
    );
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as {
      results: { status: string; path: string }[];
      checked: number;
      failed: number;
    };
    const schema = fileURLToPath(new URL('../../schemas/get.schema.json', import.meta.url));
    const validate = new Ajv2020({ allErrors: true, strict: true }).compile(
      JSON.parse(await fs.readFile(schema, 'utf8')) as object,
    );
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    const a = doc.results.find((x) => x.path === 'a.bin');
    expect(a).toMatchObject({ status: 'checked', check: { status: 200, size: 2048, method: 'HEAD' } });
    expect(doc).toMatchObject({ checked: 1, failed: 1 });
    expect(doc.results.find((x) => x.path === 'gone.bin')).toMatchObject({
      status: 'failed',
      error: { code: 'ERR_DL_HTTP_STATUS', status: 404 },
    });
    expect(await fs.readdir(cwd)).toEqual([]);
  });
});
