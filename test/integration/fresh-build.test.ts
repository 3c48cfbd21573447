import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  finishBuild,
  INPUTS,
  type Layout,
  OUTPUTS,
  staleness,
  startBuild,
} from '../../scripts/build-stamp.mjs';
import config from '../../vitest.config.js';
import { ensureFreshBuild, lockPath, StaleBuildError } from '../helpers/fresh-build.js';
import { tmpDir } from '../helpers/tmp.js';

const LAYOUT: Layout = { inputs: ['src', 'tool.mjs'], outputs: ['dist'] };
const STAMP_MODULE = new URL('../../scripts/build-stamp.mjs', import.meta.url).href;

const trees: string[] = [];
afterEach(() => {
  for (const t of trees.splice(0)) {
    // A test that failed while holding a tree's lock would leave it in the temp folder.
    fs.rmSync(lockPath(t), { recursive: true, force: true });
    fs.rmSync(t, { recursive: true, force: true });
  }
});

/** A small tree shaped like the repository: sources in src/ and tool.mjs, output in dist/. */
async function tree(): Promise<string> {
  const root = await tmpDir('dlpool-fresh-build-');
  trees.push(root);
  write(root, 'src/a.ts', 'export const a = 1;\n');
  write(root, 'src/engine/worker.ts', 'export const w = 1;\n');
  write(root, 'tool.mjs', '// builds\n');
  return root;
}

function write(root: string, rel: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), text);
}

/** What `npm run build` does, in small: start, write the outputs, finish. */
function build(root: string): void {
  startBuild(root, LAYOUT);
  fs.cpSync(path.join(root, 'src'), path.join(root, 'dist'), { recursive: true });
  finishBuild(root, LAYOUT);
}

describe('build stamp', () => {
  it('says dist/ is missing, unstamped, or half built, and matches after a whole build', async () => {
    const root = await tree();
    expect(staleness(root, LAYOUT)).toBe('dist/ is missing');
    write(root, 'dist/a.js', 'old');
    expect(staleness(root, LAYOUT)).toBe('dist/ has no build stamp');
    startBuild(root, LAYOUT);
    // The build starts from an empty dist/: a moved source's old output would otherwise stay and be loaded.
    expect(fs.existsSync(path.join(root, 'dist/a.js'))).toBe(false);
    expect(staleness(root, LAYOUT)).toBe('dist/ is from a build that did not finish');
    build(root);
    expect(staleness(root, LAYOUT)).toBeUndefined();
  });

  it('compares sources by content: an edit is stale, the same bytes with a new mtime are not', async () => {
    const root = await tree();
    build(root);
    write(root, 'src/engine/worker.ts', 'export const w = 2;\n');
    expect(staleness(root, LAYOUT)).toBe('dist/ was built before src/engine/worker.ts changed');
    write(root, 'tool.mjs', '// builds differently\n');
    expect(staleness(root, LAYOUT)).toBe('dist/ was built before src/engine/worker.ts and 1 more changed');
    // A branch switched away and back, or a fresh checkout: every mtime is new, no byte is.
    write(root, 'src/engine/worker.ts', 'export const w = 1;\n');
    write(root, 'tool.mjs', '// builds\n');
    const later = new Date(Date.now() + 3_600_000);
    for (const f of ['src/a.ts', 'src/engine/worker.ts', 'tool.mjs'])
      fs.utimesSync(path.join(root, f), later, later);
    expect(staleness(root, LAYOUT)).toBeUndefined();
  });

  it('sees a source added or removed', async () => {
    const root = await tree();
    build(root);
    write(root, 'src/b.ts', 'export const b = 1;\n');
    expect(staleness(root, LAYOUT)).toBe('dist/ was built before src/b.ts changed');
    fs.rmSync(path.join(root, 'src/b.ts'));
    expect(staleness(root, LAYOUT)).toBeUndefined();
    fs.rmSync(path.join(root, 'src/a.ts'));
    expect(staleness(root, LAYOUT)).toBe('dist/ was built before src/a.ts changed');
  });

  it('sees an output written or removed by something else than the build', async () => {
    const root = await tree();
    build(root);
    write(root, 'dist/engine/worker.ts', 'export const w = 3;\n');
    expect(staleness(root, LAYOUT)).toBe('dist/engine/worker.ts changed after dist/ was built');
    build(root);
    fs.rmSync(path.join(root, 'dist/a.ts'));
    expect(staleness(root, LAYOUT)).toBe('dist/a.ts changed after dist/ was built');
  });

  it('does not vouch for a source edited while the build ran', async () => {
    const root = await tree();
    startBuild(root, LAYOUT);
    write(root, 'src/a.ts', 'export const a = 2;\n');
    fs.cpSync(path.join(root, 'src'), path.join(root, 'dist'), { recursive: true });
    finishBuild(root, LAYOUT);
    expect(staleness(root, LAYOUT)).toBe('dist/ was built before src/a.ts changed');
  });

  it('finish without start fails and writes no stamp', async () => {
    const root = await tree();
    fs.mkdirSync(path.join(root, 'dist'));
    expect(() => finishBuild(root, LAYOUT)).toThrow(/pending\.json is missing: run the whole build/);
    expect(staleness(root, LAYOUT)).toBe('dist/ has no build stamp');
  });

  it("covers every folder the build's tsconfigs compile, and the vitest setup runs the check", () => {
    const include = (file: string, base: string) =>
      (JSON.parse(fs.readFileSync(file, 'utf8')) as { include: string[] }).include.map((p) =>
        path.posix.normalize(path.posix.join(base, p)),
      );
    const compiled = [...include('tsconfig.json', '.'), ...include('bench/tsconfig.json', 'bench')];
    expect(compiled.length).toBeGreaterThan(0);
    for (const dir of compiled) expect(INPUTS).toContain(dir);
    expect(INPUTS).toContain('scripts/bundle.mjs');
    expect(INPUTS).toContain('scripts/man.mjs');
    expect(OUTPUTS).toEqual(['dist', 'dist-bench', 'man']);
    expect(config.test?.globalSetup).toContain('test/helpers/fresh-build.ts');
  });
});

describe('ensureFreshBuild', () => {
  /**
   * A tree with a build script like the real one: it counts its runs, fails when `fail` exists, edits a source
   * mid-build when `edit` exists, and takes `slow` ms when that file exists.
   */
  async function buildable(): Promise<{
    root: string;
    runs: () => number;
    ensure: () => Promise<void>;
    lines: string[];
  }> {
    const root = await tree();
    write(
      root,
      'build.mjs',
      `import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { startBuild, finishBuild } from ${JSON.stringify(STAMP_MODULE)};
const layout = ${JSON.stringify(LAYOUT)};
startBuild('.', layout);
fs.appendFileSync('runs', 'x');
if (fs.existsSync('fail')) process.exit(1);
if (fs.existsSync('slow')) await sleep(Number(fs.readFileSync('slow', 'utf8')));
if (fs.existsSync('edit')) fs.appendFileSync('src/a.ts', '// edited\\n');
fs.cpSync('src', 'dist', { recursive: true });
finishBuild('.', layout);
`,
    );
    const lines: string[] = [];
    return {
      root,
      lines,
      runs: () =>
        fs.existsSync(path.join(root, 'runs')) ? fs.readFileSync(path.join(root, 'runs'), 'utf8').length : 0,
      ensure: () =>
        ensureFreshBuild({
          root,
          build: [process.execPath, 'build.mjs'],
          layout: LAYOUT,
          log: (l) => lines.push(l),
        }),
    };
  }

  it('builds a missing or stale dist/ first, in one line, and leaves a fresh one alone', async () => {
    const t = await buildable();
    await t.ensure();
    expect(t.runs()).toBe(1);
    expect(t.lines).toEqual([
      'dist/ is missing: running ' + process.execPath + ' build.mjs before the tests',
    ]);
    expect(staleness(t.root, LAYOUT)).toBeUndefined();

    await t.ensure();
    expect(t.runs()).toBe(1);

    write(t.root, 'src/engine/worker.ts', 'export const w = 2;\n');
    await t.ensure();
    expect(t.runs()).toBe(2);
    expect(t.lines[1]).toMatch(/^dist\/ was built before src\/engine\/worker\.ts changed: running /);
    expect(fs.readFileSync(path.join(t.root, 'dist/engine/worker.ts'), 'utf8')).toBe('export const w = 2;\n');
  });

  it('refuses to go on when the build fails, in one line naming the reason', async () => {
    const t = await buildable();
    write(t.root, 'fail', '');
    const err = await t.ensure().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StaleBuildError);
    const message = (err as Error).message;
    expect(message).toBe(
      `dist/ is missing, and ${process.execPath} build.mjs failed (output above): the tests load workers from dist/, so none ran`,
    );
    expect((err as Error).stack).toBe(`StaleBuildError: ${message}`);
    // The failed build left a dist/ of its own: still not one to run tests on.
    expect(staleness(t.root, LAYOUT)).toBe('dist/ is from a build that did not finish');
  });

  it('gives up after two builds when the sources keep changing under them', async () => {
    const t = await buildable();
    write(t.root, 'edit', '');
    await expect(t.ensure()).rejects.toThrow(
      /^dist\/ was built before src\/a\.ts changed, even after 2 runs of .* build\.mjs: were the sources edited meanwhile\?$/,
    );
    expect(t.runs()).toBe(2);
  });

  it('builds once when two runs find dist/ stale at the same time', async () => {
    const t = await buildable();
    write(t.root, 'slow', '500');
    await Promise.all([t.ensure(), t.ensure()]);
    expect(t.runs()).toBe(1);
    expect(t.lines).toContainEqual(
      expect.stringMatching(/^dist\/ is being built by another test run \(pid \d+\)/),
    );
    expect(staleness(t.root, LAYOUT)).toBeUndefined();
    expect(fs.existsSync(lockPath(t.root))).toBe(false);
  });

  it('takes over the lock of a run that died while building', async () => {
    const t = await buildable();
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    fs.mkdirSync(lockPath(t.root));
    fs.writeFileSync(path.join(lockPath(t.root), 'pid'), dead.stdout);
    await t.ensure();
    expect(t.runs()).toBe(1);
    expect(fs.existsSync(lockPath(t.root))).toBe(false);
  });
});
