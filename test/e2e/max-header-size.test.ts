import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startServer } from '../helpers/http.js';
import { tmpDir } from '../helpers/tmp.js';

// The bundled CLI does not load node:http at start-up (scripts/bundle.mjs): the response header limit is still
// Node's, 16 KiB by default and what --max-http-header-size says when given.
describe('the response header limit', () => {
  it("is Node's: 16 KiB, or --max-http-header-size from NODE_OPTIONS", async () => {
    const s = await startServer((_req, res) => {
      res.setHeader('x-big', 'x'.repeat(20 * 1024));
      res.end('body');
    });
    try {
      const dir = await tmpDir();
      const url = `${s.url}/a.bin`;
      const refused = await runCli(['get', url, '-q', '-d', dir, '--retries', '0']);
      expect(refused.code).not.toBe(0);
      expect(fs.existsSync(path.join(dir, 'a.bin'))).toBe(false);
      const taken = await runCli(['get', url, '-q', '-d', dir, '--retries', '0'], {
        env: { NODE_OPTIONS: '--max-http-header-size=65536' },
      });
      expect(taken).toMatchObject({ code: 0, stderr: '' });
      expect(fs.readFileSync(path.join(dir, 'a.bin'), 'utf8')).toBe('body');
    } finally {
      await s.close();
    }
  });
});
