import fs from 'node:fs';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import setup from '../helpers/temp-root.js';

const saved = { root: process.env['DLPOOL_TEST_TMP'], keep: process.env['DLPOOL_KEEP_TEST_TMP'] };
afterEach(() => {
  process.env['DLPOOL_TEST_TMP'] = saved.root;
  if (saved.keep === undefined) delete process.env['DLPOOL_KEEP_TEST_TMP'];
  else process.env['DLPOOL_KEEP_TEST_TMP'] = saved.keep;
});

it("gives the run one folder for its tests' folders and removes it, with what is in it, at the end", () => {
  delete process.env['DLPOOL_KEEP_TEST_TMP'];
  const teardown = setup();
  const root = process.env['DLPOOL_TEST_TMP']!;
  expect(root).not.toBe(saved.root);
  expect(fs.statSync(root).mode & 0o777).toBe(0o755);
  fs.mkdirSync(path.join(root, 'dlpool-test-x', 'sub'), { recursive: true });
  fs.writeFileSync(path.join(root, 'dlpool-test-x', 'sub', 'f'), 'data');
  teardown();
  expect(fs.existsSync(root)).toBe(false);
});

it('keeps the folder with DLPOOL_KEEP_TEST_TMP=1', () => {
  process.env['DLPOOL_KEEP_TEST_TMP'] = '1';
  const teardown = setup();
  const root = process.env['DLPOOL_TEST_TMP']!;
  teardown();
  expect(fs.existsSync(root)).toBe(true);
  fs.rmSync(root, { recursive: true });
});
