import net from 'node:net';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_PORT } from '../../src/cli/demo.js';
import { runCli } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

/** Holds a port on 127.0.0.1 (`port` 0: any free one) until closed. */
async function holdPort(port: number): Promise<net.Server & { port: number }> {
  const s = net.createServer();
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen(port, '127.0.0.1', resolve);
  });
  return Object.assign(s, { port: (s.address() as net.AddressInfo).port });
}

describe('dlpool serve and the demo on a busy port', () => {
  it('serve: one line naming the port and what to do, exit 2, no stack trace', async () => {
    const busy = await holdPort(0);
    try {
      const r = await runCli(['serve', '--port', String(busy.port)]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(new RegExp(`127\\.0\\.0\\.1:${busy.port} is in use.*--port`));
      expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    } finally {
      busy.close();
    }
  });

  it('demo (npm start) picks a free port when its usual one is taken', async () => {
    let busy: (net.Server & { port: number }) | undefined;
    try {
      busy = await holdPort(DEMO_PORT);
    } catch {
      // Taken already (a `dlpool serve --port 18719` left running): the same situation for the demo.
    }
    try {
      const cwd = await tmpDir();
      const r = await runCli(['demo'], { cwd });
      expect(r.stderr).not.toMatch(/internal error|could not start/);
      expect(r.code).toBe(0);
      const files = await fs.readdir(path.join(cwd, 'downloads'));
      expect(files.length).toBe(16);
    } finally {
      busy?.close();
    }
  });
});
