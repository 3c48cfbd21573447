import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/http.js';
import { runCli } from '../helpers/cli.js';
import { listFiles, MODES, tmpDir } from '../helpers/tmp.js';

// -k/--insecure from the command line: the self-signed test server downloads, and the warning is one line of the
// run's stderr, not one per download or per worker thread.

let secure: TestServer;
const FILES = ['a.bin', 'b.bin', 'c.bin', 'd.bin', 'e.bin', 'f.bin'];

beforeAll(async () => {
  secure = await startServer((req, res) => res.end(`bytes of ${req.url}`), { tls: true });
});
afterAll(async () => {
  await secure.close();
});

describe.each(MODES)('%s mode', (mode) => {
  it('-k downloads from a self-signed server and warns once on stderr', async () => {
    const dir = await tmpDir();
    const before = secure.requests.length;
    const urls = FILES.map((f) => `${secure.url}/${f}`);
    const args = [...urls, '-d', dir, '--mode', mode, '-w', '3', '-j', '6', '--retries', '0'];
    const refused = await runCli(args);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('[ERR_DL_TLS]');
    for (const k of ['-k', '--insecure']) {
      const r = await runCli([...args, k, '--overwrite']);
      expect(r.code, r.stderr).toBe(0);
      const warnings = r.stderr.split('\n').filter((l) => l.includes('warning'));
      expect(warnings).toEqual([
        'dlpool: warning: --insecure: TLS certificates are not checked: anyone on the network path can read ' +
          'and change the downloads',
      ]);
      expect(await listFiles(dir)).toEqual(FILES);
      expect(await fs.readFile(path.join(dir, 'c.bin'), 'utf8')).toBe('bytes of /c.bin');
    }
    expect(secure.requests.length - before).toBe(2 * FILES.length);
  });
});
