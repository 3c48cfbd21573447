import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type RunningServer } from '../../src/server/index.js';
import { startServer } from '../helpers/http.js';
import { tmpDir } from '../helpers/tmp.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let server: RunningServer;
beforeAll(async () => {
  server = await createServer({});
});
afterAll(async () => {
  await server.close();
});

/** The code of the block marked as a library example in `file`, the `n`-th one there. */
async function example(file: string, n = 0): Promise<string> {
  const text = await fs.readFile(path.join(ROOT, file), 'utf8');
  const code = [...text.matchAll(/<!-- library-example[^>]*-->\n```js\n([\s\S]*?)```/g)][n]?.[1];
  expect(code, `${file}: library example ${n}`).toBeDefined();
  return code!;
}

/** `code` as a module of its own in a fresh folder, importing this package's build and its undici. */
async function asScript(code: string, url: string): Promise<{ dir: string; script: string }> {
  const dir = await tmpDir();
  const script = path.join(dir, 'example.mjs');
  await fs.writeFile(
    script,
    code
      .replace("from 'dlpool'", `from ${JSON.stringify(path.join(ROOT, 'dist', 'index.js'))}`)
      .replace(
        "from 'undici'",
        `from ${JSON.stringify(path.join(ROOT, 'node_modules', 'undici', 'index.js'))}`,
      )
      .replaceAll('http://127.0.0.1:18719/', url),
  );
  return { dir, script };
}

describe("the README's library example", () => {
  it('runs as written against the built package (its server address swapped for a local one)', async () => {
    // `dlpool` resolves to this package as it is installed (package.json exports -> dist/index.js).
    const { dir, script } = await asScript(await example('README.md'), server.url);
    const { stdout } = await promisify(execFile)(process.execPath, [script], { cwd: dir });
    expect(stdout).toMatch(/^downloaded a\.bin [0-9a-f]{64}$/m);
    expect(stdout).toMatch(/^downloaded b\.bin [0-9a-f]{64}$/m);
    expect(stdout).toMatch(/2 downloaded, 0 failed/);
    expect((await fs.readdir(path.join(dir, 'out'))).sort()).toEqual(['a.bin', 'b.bin']);
  });
});

describe("docs/library.md's example of a caller's own undici pool", () => {
  it('runs as written: two runs through the one Agent, the second on the connection the first opened', async () => {
    // Each request's client port: one connection for both runs is one port.
    const ports: number[] = [];
    const body = Buffer.alloc(1024 * 1024, 7);
    const own = await startServer((req, res) => {
      ports.push(req.socket.remotePort!);
      res.writeHead(200, { 'content-length': String(body.length) }).end(body);
    });
    try {
      const { dir, script } = await asScript(await example('docs/library.md'), `${own.url}/`);
      const { stdout } = await promisify(execFile)(process.execPath, [script], { cwd: dir });
      expect(stdout).toBe('first 1 downloaded 0 failed\nsecond 1 downloaded 0 failed\n');
      for (const d of ['first', 'second'])
        expect((await fs.readFile(path.join(dir, d, 'a.bin'))).equals(body), d).toBe(true);
      expect(ports).toHaveLength(2);
      expect(ports[1]).toBe(ports[0]);
    } finally {
      await own.close();
    }
  });
});
