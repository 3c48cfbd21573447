#!/usr/bin/env node
// Bundles the CLI into dist/dlpool-cli.js plus lazily loaded chunks (one per command: get, serve, verify, ...),
// all directly in dist/ (src/paths.ts relies on that). Node then reads and compiles a few files instead of
// resolving ~300 modules on every start (`dlpool --version` 0.26 s -> see README, Benchmark). The library
// (`import ... from 'dlpool'`), the download workers and the hash workers stay the plain tsc output in dist/.
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** yargs, cliui and wrap-ansi measure help text with `string-width`, whose start-up costs ~20 ms: give them ours. */
const lightTextWidth = {
  name: 'light-text-width',
  setup(b) {
    b.onResolve({ filter: /^string-width$/ }, (args) =>
      /[\\/]node_modules[\\/](yargs|cliui|wrap-ansi)[\\/]/.test(args.importer)
        ? { path: path.join(root, 'src/cli/text-width.ts') }
        : undefined,
    );
  },
};

/**
 * undici's index loads all of undici (fetch, WebSocket, mocks, caches: ~1 MiB of code to compile); dlpool
 * needs its two agents, which dispatch() on their own.
 */
const undiciAgentsOnly = {
  name: 'undici-agents-only',
  setup(b) {
    b.onResolve({ filter: /^undici$/ }, (args) =>
      args.importer.endsWith(path.join('src', 'fetch', 'agent.ts'))
        ? { path: 'undici-agents', namespace: 'dlpool' }
        : undefined,
    );
    b.onLoad({ filter: /^undici-agents$/, namespace: 'dlpool' }, () => ({
      contents:
        "import Agent from 'undici/lib/dispatcher/agent.js';\n" +
        "import EnvHttpProxyAgent from 'undici/lib/dispatcher/env-http-proxy-agent.js';\n" +
        'export { Agent, EnvHttpProxyAgent };\n',
      resolveDir: root,
      loader: 'js',
    }));
  },
};

// Chunks of an earlier build have other hashes: remove them so dist/ holds one consistent bundle.
for (const f of fs.readdirSync(path.join(root, 'dist'))) {
  if (/^(chunk-[A-Z0-9]+|dlpool-cli|dlpool-thread-worker)\.js(\.map)?$/.test(f))
    fs.rmSync(path.join(root, 'dist', f));
}

await build({
  absWorkingDir: root,
  // The download worker of --mode threads is bundled too: each worker starts ~100 ms sooner.
  entryPoints: { 'dlpool-cli': 'src/cli/main.ts', 'dlpool-thread-worker': 'src/engine/thread-worker.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunk-[hash]',
  // tinypool starts its workers from its own files; they must stay where npm put them.
  external: ['tinypool'],
  // undici and other CommonJS dependencies call require() for Node's built-in modules.
  banner: {
    js: "import { createRequire as __dlpoolRequire } from 'node:module'; const require = __dlpoolRequire(import.meta.url);",
  },
  plugins: [lightTextWidth, undiciAgentsOnly],
  legalComments: 'none',
  sourcemap: 'linked',
  logLevel: 'warning',
});
