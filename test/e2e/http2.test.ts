import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type H2TestServer, startH2Server } from '../helpers/h2.js';
import { TEST_CA_FILE } from '../helpers/http.js';
import { runCli } from '../helpers/cli.js';
import { MODES, tmpDir } from '../helpers/tmp.js';

// --http2 from the command line reaches every download of the run, in both engines; without it, HTTP/1.1.

let s: H2TestServer;
beforeAll(async () => {
  s = await startH2Server((req, res) => res.end(`${req.url} over ${req.httpVersion}`));
});
afterAll(async () => {
  await s.close();
});

describe.each(MODES)('%s mode', (mode) => {
  it('--http2 downloads over HTTP/2 where the server offers it', async () => {
    const dir = await tmpDir();
    const urls = ['/a.bin', '/b.bin', '/c.bin'].map((p) => `${s.url}/${mode}${p}`);
    const args = [...urls, '-d', dir, '--mode', mode, '-w', '2', '--ca-certificate', TEST_CA_FILE];
    const h1 = await runCli([...args, '-q']);
    expect(h1.code, h1.stderr).toBe(0);
    expect(await fs.readFile(path.join(dir, 'b.bin'), 'utf8')).toBe(`/${mode}/b.bin over 1.1`);
    const h2 = await runCli([...args, '-q', '--overwrite', '--http2']);
    expect(h2.code, h2.stderr).toBe(0);
    for (const f of ['a.bin', 'b.bin', 'c.bin'])
      expect(await fs.readFile(path.join(dir, f), 'utf8')).toBe(`/${mode}/${f} over 2.0`);
  });

  it('-v names the version each answer came in: HTTP/2 with --http2, HTTP/1.1 without', async () => {
    const dir = await tmpDir();
    const args = [
      `${s.url}/v.bin`,
      '-d',
      dir,
      '--mode',
      mode,
      '-j',
      '1',
      '-v',
      '--ca-certificate',
      TEST_CA_FILE,
    ];
    const h2 = await runCli([...args, '--http2']);
    expect(h2.code, h2.stderr).toBe(0);
    expect(h2.stderr).toMatch(/^> GET \/v\.bin$/m);
    expect(h2.stderr).toMatch(/^< HTTP\/2 200$/m);
    const h1 = await runCli([...args, '--overwrite']);
    expect(h1.stderr).toMatch(/^> GET \/v\.bin HTTP\/1\.1$/m);
    expect(h1.stderr).toMatch(/^< HTTP\/1\.1 200/m);
  });
});
