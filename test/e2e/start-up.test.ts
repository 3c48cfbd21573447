import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLI_WRAPPER_HEAD } from '../../src/cli/code-cache.js';
import { BIN, runCli } from '../helpers/cli.js';
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

  // npm run build makes dist/dlpool-cli.cache; a run compiles the CLI from it, not from source.
  it('loads the CLI through the code cache the build made', () => {
    const loader = path.join(ROOT, 'dist', 'dlpool-loader.cjs');
    const code = `console.log(require(${JSON.stringify(loader)}).loadCli(${JSON.stringify(path.join(ROOT, 'dist'))}).cache)`;
    const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('used');
  });

  it('runs as before with a damaged or missing code cache', async () => {
    const pkg = await tmpDir('dlpool-pkg-');
    for (const d of ['bin', 'dist']) fs.cpSync(path.join(ROOT, d), path.join(pkg, d), { recursive: true });
    fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(pkg, 'package.json'));
    const cache = path.join(pkg, 'dist', 'dlpool-cli.cache');
    const bytes = fs.readFileSync(cache);
    const expected = (await runCli(['--version'])).stdout;
    expect(expected).toMatch(/^\d+\.\d+\.\d+/);
    for (const damage of [
      () =>
        fs.writeFileSync(
          cache,
          Buffer.concat([bytes.subarray(0, 5000), Buffer.alloc(5000, 1), bytes.subarray(10_000)]),
        ),
      () => fs.writeFileSync(cache, bytes.subarray(0, bytes.length >> 1)),
      () => fs.rmSync(cache),
    ]) {
      damage();
      const r = await runCli(['--version'], { bin: path.join(pkg, 'bin', 'dlpool.js') });
      expect(r).toMatchObject({ code: 0, stdout: expected, stderr: '' });
    }
  });

  // The bundle is TypeScript's ES modules made one CommonJS function: strict as they were, and ASCII, which
  // Node decodes ~3x faster than UTF-8 text on every start.
  it('bundles the CLI as one strict, ASCII function', () => {
    const text = fs.readFileSync(path.join(ROOT, 'dist', 'dlpool-cli.cjs'), 'latin1');
    expect(text.startsWith(`${CLI_WRAPPER_HEAD}"use strict";`)).toBe(true);
    expect(text.match(/[^\x00-\x7f]/g) ?? []).toEqual([]);
  });
});
