import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
const RECORDER = fileURLToPath(new URL('../fixtures/record-readdir.mjs', import.meta.url));

/** Runs dlpool with every readdirSync reported on stderr; returns the directories it listed. */
function dirsListed(args: string[], cwd: string): { code: number | null; stdout: string; dirs: string[] } {
  const r = spawnSync(process.execPath, ['--import', RECORDER, BIN, ...args], { cwd, encoding: 'utf8' });
  const dirs = [...r.stderr.matchAll(/^readdir: (.*)$/gm)].map((m) => path.resolve(cwd, m[1]!));
  return { code: r.status, stdout: r.stdout, dirs };
}

describe('start-up', () => {
  // yargs looked for a package.json upwards from the current directory, listing it whole: a run started in a
  // folder of 100,000 downloads spent 127 ms reading it before doing anything.
  it('does not list the directory it runs in', async () => {
    const cwd = await tmpDir('dlpool-cwd-');
    fs.writeFileSync(path.join(cwd, 'a.bin'), 'x');
    for (const args of [['--version'], ['get', '--help'], ['hash', 'a.bin']]) {
      const r = dirsListed(args, cwd);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.dirs, args.join(' ')).not.toContain(cwd);
    }
    // (The recorder sees the bundle's reads: yargs still looks for dlpool's own package.json, in its folder.)
    expect(dirsListed(['--version'], cwd).dirs).toContain(ROOT);
  });
});
