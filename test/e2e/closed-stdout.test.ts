import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type RunningServer } from '../../src/server/index.js';
import { listFiles, tmpDir } from '../helpers/tmp.js';

const BIN = fileURLToPath(new URL('../../bin/dlpool.js', import.meta.url));

/**
 * Runs dlpool with stdout a pipe that is closed after its first line (as `| head -1` does), and waits for it
 * to exit.
 */
function runClosingStdout(args: string[]): Promise<{ code: number | null; stderr: string; first: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, CI: 'true', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let first = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      first += d;
      if (first.includes('\n')) child.stdout.destroy();
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr, first: first.split('\n')[0]! }));
  });
}

let server: RunningServer;
beforeAll(async () => {
  server = await createServer({});
});
afterAll(async () => {
  await server.close();
});

describe('a closed stdout (dlpool ... | head -1)', () => {
  const N = 60;
  const urls = () => Array.from({ length: N }, (_, i) => `${server.url}gen/20000/f${i}.bin`);

  it.each([[[]], [['--json']]])('get %j: stops writing, finishes every download, exit 0', async (extra) => {
    const dir = await tmpDir();
    const list = path.join(dir, 'list.txt');
    await fs.writeFile(list, `${urls().join('\n')}\n`);
    const out = path.join(dir, 'out');
    const r = await runClosingStdout([list, '-d', out, '-j', '2', ...extra]);
    expect(r.stderr).not.toMatch(/EPIPE|Error|internal/);
    expect(r.code).toBe(0);
    expect((await listFiles(out)).length).toBe(N);
  });

  it('verify and hash: stop writing, check every file, exit by the result', async () => {
    const dir = await tmpDir();
    const files = Array.from({ length: N }, (_, i) => path.join(dir, `f${i}`));
    for (const f of files) await fs.writeFile(f, f);
    const hash = await runClosingStdout(['hash', ...files]);
    expect(hash.stderr).not.toMatch(/EPIPE|Error|internal/);
    expect(hash.code).toBe(0);
    expect(hash.first).toMatch(/^[0-9a-f]{64} {2}/);
    const { execFileSync } = await import('node:child_process');
    const sums = execFileSync(
      'sha256sum',
      files.map((f) => path.basename(f)),
      { cwd: dir },
    );
    await fs.writeFile(path.join(dir, 'SUMS'), Buffer.concat([sums, Buffer.from(`${'0'.repeat(64)}  f0\n`)]));
    const verify = await runClosingStdout(['verify', path.join(dir, 'SUMS'), '-d', dir]);
    expect(verify.stderr).not.toMatch(/EPIPE|Error|internal/);
    // The last line, long after stdout went away, is a mismatch: it still decides the exit code.
    expect(verify.stderr).toMatch(/1 computed checksum did NOT match/);
    expect(verify.code).toBe(1);
  });
});
