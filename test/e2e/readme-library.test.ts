import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type RunningServer } from '../../src/server/index.js';
import { tmpDir } from '../helpers/tmp.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let server: RunningServer;
beforeAll(async () => {
  server = await createServer({});
});
afterAll(async () => {
  await server.close();
});

describe("the README's library example", () => {
  it('runs as written against the built package (its server address swapped for a local one)', async () => {
    const readme = await fs.readFile(path.join(ROOT, 'README.md'), 'utf8');
    const code = /<!-- library-example[^>]*-->\n```js\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(code).toBeDefined();
    const dir = await tmpDir();
    const script = path.join(dir, 'example.mjs');
    // `dlpool` resolves to this package as it is installed (package.json exports -> dist/index.js).
    await fs.writeFile(
      script,
      code!
        .replace("from 'dlpool'", `from ${JSON.stringify(path.join(ROOT, 'dist', 'index.js'))}`)
        .replaceAll('http://127.0.0.1:18719/', server.url),
    );
    const { stdout } = await promisify(execFile)(process.execPath, [script], { cwd: dir });
    expect(stdout).toMatch(/^downloaded a\.bin [0-9a-f]{64}$/m);
    expect(stdout).toMatch(/^downloaded b\.bin [0-9a-f]{64}$/m);
    expect(stdout).toMatch(/2 downloaded, 0 failed/);
    expect((await fs.readdir(path.join(dir, 'out'))).sort()).toEqual(['a.bin', 'b.bin']);
  });
});
