import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tmpDir } from '../../../helpers/tmp.js';

const MAIN = path.resolve(import.meta.dirname, '../../../../dist-bench/bench/lib/main.js');

/** Runs an entry through the compiled runEntry with `stamp` as dist/'s build stamp; `during` runs inside it. */
function runWith(stamp: string, during: string, code = 0) {
  const script = `
    import fs from 'node:fs';
    const { runEntry } = await import(${JSON.stringify(MAIN)});
    const stamp = ${JSON.stringify(stamp)};
    await runEntry({ name: 't', configure: () => ({}), run: async () => { ${during}; return ${code}; } }, [], stamp);
  `;
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
}

describe('runEntry', () => {
  it('fails a bench during which dist/ was rebuilt or removed, and only that one', async () => {
    const dir = await tmpDir();
    const stamp = path.join(dir, '.build-stamp.json');
    fs.writeFileSync(stamp, '{"a":1}');
    expect(runWith(stamp, '').status).toBe(0);
    expect(runWith(stamp, '', 3).status).toBe(3);
    const rebuilt = runWith(stamp, `fs.writeFileSync(stamp, '{"a":2}')`);
    expect(rebuilt.status).toBe(1);
    expect(rebuilt.stderr + rebuilt.stdout).toContain('dist/ was rebuilt while this ran');
    // A build under way removed the stamp first (scripts/build-stamp.mjs).
    expect(runWith(stamp, 'fs.rmSync(stamp)').status).toBe(1);
  });
});
