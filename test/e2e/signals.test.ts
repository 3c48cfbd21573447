import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startServer } from '../helpers/http.js';
import { listFiles, tmpDir } from '../helpers/tmp.js';

const BIN = fileURLToPath(new URL('../../bin/dlpool.js', import.meta.url));

/** Starts dlpool against a server that sends half of each body and then stalls; signals it mid-download. */
async function interrupt(signal: 'SIGINT' | 'SIGTERM', mode: string) {
  let sent = 0;
  const s = await startServer((_req, res) => {
    res.writeHead(200, { 'content-length': '200000', etag: '"x"' });
    res.write(Buffer.alloc(100_000, 7), () => sent++);
  });
  const dir = await tmpDir();
  try {
    const child = spawn(
      process.execPath,
      [BIN, `${s.url}/a.bin`, `${s.url}/b.bin`, '-d', dir, '--mode', mode, '-w', '2'],
      {
        env: { ...process.env, CI: 'true' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    // Wait until the server has sent both first halves, and give the client a moment to take them in.
    // (Bodies this small are collected in memory and land in .part only when the run stops.)
    for (let i = 0; i < 300 && sent < 2; i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 300));
    const t0 = performance.now();
    child.kill(signal);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const ms = performance.now() - t0;
    const partSizes = await Promise.all(
      ['a.bin.part', 'b.bin.part'].map((f) =>
        fs.stat(path.join(dir, f)).then(
          (st) => st.size,
          () => -1,
        ),
      ),
    );
    return { code, stdout, ms, files: await listFiles(dir), partSizes };
  } finally {
    await s.close();
  }
}

describe.each(['async', 'threads'])('interruption (--mode %s)', (mode) => {
  it('SIGINT stops in-flight downloads, keeps .part files, prints the summary and exits 130', async () => {
    const r = await interrupt('SIGINT', mode);
    expect(r.code).toBe(130);
    // The .part files and the validators a rerun needs to resume them.
    expect(r.files).toEqual(['a.bin.part', 'a.bin.part.meta', 'b.bin.part', 'b.bin.part.meta']);
    // Every byte that arrived is kept for a resume.
    expect(r.partSizes).toEqual([100_000, 100_000]);
    expect(r.stdout).toMatch(
      /0 downloaded, 0 skipped \(already present\), 2 failed; .*interrupted by SIGINT/,
    );
    expect(r.ms).toBeLessThan(5000);
  });

  it('SIGTERM does the same and exits 143', async () => {
    const r = await interrupt('SIGTERM', mode);
    expect(r.code).toBe(143);
    // The .part files and the validators a rerun needs to resume them.
    expect(r.files).toEqual(['a.bin.part', 'a.bin.part.meta', 'b.bin.part', 'b.bin.part.meta']);
  });
});
