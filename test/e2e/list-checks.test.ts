import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startServer, type TestServer } from '../helpers/http.js';
import { listFiles, MODES, tmpDir } from '../helpers/tmp.js';

const BODY = Buffer.from('the same bytes for every path\n');

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
    expect(r.stderr).toContain(`${list}:2: bad checksum`);
    expect(`${r.stdout}${r.stderr}`).toMatch(/0 downloaded, 0 skipped \(already present\), 1 failed/);
    expect(asked(from)).toEqual([]);
    expect(await listFiles(out)).toEqual([]);
  });
});
