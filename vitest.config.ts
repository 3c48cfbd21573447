import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

// Tests that spawn dlpool themselves (not through test/helpers/cli.ts) must not read the developer's own
// ~/.config/dlpool/config either: an empty home for the whole run.
const home = mkdtempSync(path.join(os.tmpdir(), 'dlpool-home-'));

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Workers, hash pools, the bench probe and the CLI the tests spawn run dist/: rebuild it if src/ changed.
    globalSetup: ['test/helpers/fresh-build.ts', 'test/helpers/temp-root.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Network tests start their own loopback servers; run files in parallel processes but keep it modest
    // on a 2-core machine so timing-sensitive tests (idle timeouts) keep their margin.
    maxWorkers: 2,
    env: { HOME: home, XDG_CONFIG_HOME: home },
  },
});
