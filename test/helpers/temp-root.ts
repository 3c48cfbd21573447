import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Every tmpDir() of one test run goes under one folder, removed when the run ends: a run makes ~1,100 folders
 * holding ~0.5 GB, which would otherwise pile up in the temp folder run after run.
 * DLPOOL_KEEP_TEST_TMP=1 keeps the folder and says where it is. (A globalSetup: it runs once, before the test
 * processes start, so they inherit DLPOOL_TEST_TMP.)
 */
export default function setup(): () => void {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dlpool-tests-'));
  // Open to be passed through, as the temp folder itself is: a test runs the CLI as another user from a folder
  // of its own in here (each test's folder is still made 0700).
  fs.chmodSync(root, 0o755);
  process.env['DLPOOL_TEST_TMP'] = root;
  return () => {
    if (process.env['DLPOOL_KEEP_TEST_TMP'] === '1') {
      process.stderr.write(`test folders kept in ${root}\n`);
      return;
    }
    fs.rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  };
}
