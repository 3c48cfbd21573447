import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/http.js';
import { MODES, tmpDir } from '../helpers/tmp.js';

const BIN = fileURLToPath(new URL('../../bin/dlpool.js', import.meta.url));

interface JsonDoc {
  results: { url: string; status: string; path: string | null; bytes: number; error: unknown }[];
  downloaded: number;
  skipped: number;
  failed: number;
  bytes: number;
  retries: number;
  interrupted: string | null;
  dir: string;
}

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('--json streams results as they finish', () => {
  for (const mode of MODES) {
    it(`writes a finished result before the run ends, and one valid document at the end (${mode})`, async () => {
      // `/slow` answers its headers, then holds its body until the test has seen `/fast` on stdout.
      let release: (() => void) | undefined;
      const released = new Promise<void>((r) => (release = r));
      server = await startServer((req, res) => {
        if (req.url === '/slow') {
          res.writeHead(200, { 'content-length': '4' });
          res.write('sl');
          void released.then(() => res.end('ow'));
        } else if (req.url === '/fast') res.writeHead(200, { 'content-length': '4' }).end('fast');
        else res.writeHead(404, { 'content-length': '0' }).end();
      });
      const dir = await tmpDir();
      const args = [BIN, 'get', `${server.url}/slow`, `${server.url}/fast`, `${server.url}/missing`];
      const child = spawn(
        process.execPath,
        [...args, '-d', dir, '--json', '--retries', '0', '--mode', mode],
        { env: { ...process.env, CI: 'true', NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      let exited = false;
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const closed = new Promise<number | null>((resolve) =>
        child.on('close', (code) => {
          exited = true;
          resolve(code);
        }),
      );
      const sawFinished = new Promise<void>((resolve) =>
        child.stdout.setEncoding('utf8').on('data', (d: string) => {
          stdout += d;
          if (stdout.includes('/fast"') && stdout.includes('/missing"')) resolve();
        }),
      );
      await Promise.race([sawFinished, closed]);
      // Two results are out while `/slow` is still downloading: nothing waited for the end of the run.
      expect(exited).toBe(false);
      const early = stdout.split('\n');
      expect(early[0]).toBe('{"results":[');
      expect(stdout).not.toContain('/slow"');
      const lines = early.slice(1, -1);
      expect(lines).toHaveLength(2);
      // One result per line; the ones after the first start with a comma.
      const first = JSON.parse(lines[0]!) as JsonDoc['results'][number];
      const second = JSON.parse(lines[1]!.replace(/^,/, '')) as JsonDoc['results'][number];
      expect(lines[1]!.startsWith(',')).toBe(true);
      expect([first.url, second.url].sort()).toEqual([`${server.url}/fast`, `${server.url}/missing`]);
      release!();

      expect(await closed).toBe(1);
      expect(stderr).toBe('');
      const doc = JSON.parse(stdout) as JsonDoc;
      expect(doc).toMatchObject({
        downloaded: 2,
        skipped: 0,
        failed: 1,
        bytes: 8,
        retries: 0,
        interrupted: null,
        dir: path.resolve(dir),
      });
      expect(doc.results).toHaveLength(3);
      expect(doc.results.at(-1)).toMatchObject({ url: `${server.url}/slow`, path: 'slow', bytes: 4 });
      expect(doc.results.find((r) => r.status === 'failed')).toMatchObject({
        path: 'missing',
        // The HTTP status, as the library has it (a script should not parse it out of the message).
        error: { code: 'ERR_DL_HTTP_STATUS', status: 404 },
      });
      expect(await fs.readFile(path.join(dir, 'slow'), 'utf8')).toBe('slow');
      expect(await fs.readFile(path.join(dir, 'fast'), 'utf8')).toBe('fast');
    });
  }

  it('prints a valid document with no results when every entry is a bad list line', async () => {
    const dir = await tmpDir();
    const list = path.join(dir, 'list.txt');
    await fs.writeFile(list, 'not a url\n');
    const child = spawn(process.execPath, [BIN, list, '-d', dir, '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(code).toBe(1);
    const doc = JSON.parse(stdout) as JsonDoc;
    expect(doc).toMatchObject({ downloaded: 0, failed: 1, results: [{ status: 'failed', path: null }] });
  });
});
