import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Workers, hash pools, the bench probe and the CLI the tests spawn run dist/: rebuild it if src/ changed.
    globalSetup: ['test/helpers/fresh-build.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Network tests start their own loopback servers; run files in parallel processes but keep it modest
    // on a 2-core machine so timing-sensitive tests (idle timeouts) keep their margin.
    maxWorkers: 2,
  },
});
