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
 * needs its two agents, which dispatch() on their own, and the one API method the proxy agent calls.
 */
const undiciAgentsOnly = {
  name: 'undici-agents-only',
  setup(b) {
    b.onResolve({ filter: /^undici$/ }, (args) =>
      args.importer.endsWith(path.join('src', 'transport', 'undici', 'agent.ts'))
        ? { path: 'undici-agents', namespace: 'dlpool' }
        : undefined,
    );
    b.onLoad({ filter: /^undici-agents$/, namespace: 'dlpool' }, () => ({
      contents:
        "import Agent from 'undici/lib/dispatcher/agent.js';\n" +
        "import EnvHttpProxyAgent from 'undici/lib/dispatcher/env-http-proxy-agent.js';\n" +
        "import buildConnector from 'undici/lib/core/connect.js';\n" +
        // ProxyAgent opens its CONNECT tunnels with Dispatcher#connect, which undici's index installs.
        "import Dispatcher from 'undici/lib/dispatcher/dispatcher.js';\n" +
        "import connect from 'undici/lib/api/api-connect.js';\n" +
        'Dispatcher.prototype.connect = connect;\n' +
        'export { Agent, buildConnector, EnvHttpProxyAgent };\n',
      resolveDir: root,
      loader: 'js',
    }));
  },
};

// Chunks of an earlier build have other hashes: remove them so dist/ holds one consistent bundle.
for (const f of fs.readdirSync(path.join(root, 'dist'))) {
  if (/^(chunk-[A-Z0-9]+|dlpool-cli|dlpool-thread-worker|dlpool-bench-probe)\.js(\.map)?$/.test(f))
    fs.rmSync(path.join(root, 'dist', f));
}

/**
 * undici's HTTP/2 client loads node:http2 (and with it TLS) at start-up, ~14 ms of every run, to read ten
 * protocol constants; dlpool enables HTTP/2 only with --http2. The constants are fixed by RFC 9113, so
 * they are written out and node:http2 is loaded on first use. The build fails if undici's code changed shape.
 */
const H2_LOAD =
  "let http2\ntry {\n  http2 = require('node:http2')\n} catch {\n  // @ts-ignore\n  http2 = { constants: {} }\n}\n";
const H2_LAZY =
  'let http2 = {\n' +
  "  get connect () { return require('node:http2').connect },\n" +
  '  constants: {\n' +
  "    HTTP2_HEADER_AUTHORITY: ':authority', HTTP2_HEADER_METHOD: ':method', HTTP2_HEADER_PATH: ':path',\n" +
  "    HTTP2_HEADER_SCHEME: ':scheme', HTTP2_HEADER_CONTENT_LENGTH: 'content-length', HTTP2_HEADER_EXPECT: 'expect',\n" +
  "    HTTP2_HEADER_STATUS: ':status', HTTP2_HEADER_PROTOCOL: ':protocol', NGHTTP2_REFUSED_STREAM: 7, NGHTTP2_CANCEL: 8\n" +
  '  }\n' +
  '}\n';
const lazyHttp2 = {
  name: 'lazy-http2',
  setup(b) {
    b.onLoad({ filter: /[\\/]undici[\\/]lib[\\/]dispatcher[\\/]client-h2\.js$/ }, async (args) => {
      const text = await fs.promises.readFile(args.path, 'utf8');
      if (!text.includes(H2_LOAD))
        throw new Error(`lazy-http2: ${args.path} no longer loads node:http2 as expected`);
      return { contents: text.replace(H2_LOAD, H2_LAZY), loader: 'js', resolveDir: path.dirname(args.path) };
    });
  },
};

/**
 * Two start-up costs in yargs that dlpool never uses, removed at build time (the build fails if yargs changed shape):
 * - yargs guesses a version at creation by looking for package.json upwards from its own folder, which in a
 *   bundle is no folder, so it fell back to the current directory: every run read the whole directory it ran in
 *   (+127 ms in a folder of 100,000 files). It looks from dlpool's package root instead (dlpool sets --version
 *   itself anyway).
 * - after a named command's handler starts (`dlpool get ...`), yargs renders the whole help text (~15 ms) to keep it
 *   for a failure message; dlpool's .fail() never prints help.
 */
const YARGS_CWD = 'mainFilename: mainFilename || process.cwd(),';
const YARGS_ROOT = "mainFilename: mainFilename || fileURLToPath(new URL('..', import.meta.url)),";
const YARGS_HELP_CACHE = 'yargs.getInternalMethods().getUsageInstance().cacheHelpMessage();';
function patchSource(text, file, from, to) {
  if (!text.includes(from)) throw new Error(`yargs-start-up: ${file} no longer contains ${from}`);
  return text.replace(from, to);
}
const yargsStartUp = {
  name: 'yargs-start-up',
  setup(b) {
    b.onLoad({ filter: /[\\/]yargs[\\/]lib[\\/]platform-shims[\\/]esm\.mjs$/ }, async (args) => {
      const text = await fs.promises.readFile(args.path, 'utf8');
      const contents = patchSource(text, args.path, YARGS_CWD, YARGS_ROOT);
      return { contents, loader: 'js', resolveDir: path.dirname(args.path) };
    });
    b.onLoad({ filter: /[\\/]yargs[\\/]build[\\/]lib[\\/]command\.js$/ }, async (args) => {
      const text = await fs.promises.readFile(args.path, 'utf8');
      const contents = patchSource(text, args.path, YARGS_HELP_CACHE, '');
      return { contents, loader: 'js', resolveDir: path.dirname(args.path) };
    });
  },
};

await build({
  absWorkingDir: root,
  // The download worker of --mode threads is bundled too: each worker starts ~100 ms sooner; so is the process
  // `dlpool bench` starts for each run (started unbundled, it cost ~0.6 CPU-s against ~0.4).
  entryPoints: {
    'dlpool-cli': 'src/cli/main.ts',
    'dlpool-thread-worker': 'src/engine/thread-worker.ts',
    'dlpool-bench-probe': 'src/cli/bench-probe.ts',
  },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunk-[hash]',
  // tinypool starts its workers from its own files; they must stay where npm put them. BullMQ and ioredis are
  // bundled into the queue commands' chunk (BullMQ's Lua scripts are strings in its JS): a worker starts with
  // ~0.2 CPU-s less than when Node resolved their ~200 CommonJS files.
  external: ['tinypool'],
  // undici and other CommonJS dependencies call require() for Node's built-in modules.
  banner: {
    js: "import { createRequire as __dlpoolRequire } from 'node:module'; const require = __dlpoolRequire(import.meta.url);",
  },
  plugins: [lightTextWidth, undiciAgentsOnly, lazyHttp2, yargsStartUp],
  legalComments: 'none',
  sourcemap: 'linked',
  logLevel: 'warning',
});
