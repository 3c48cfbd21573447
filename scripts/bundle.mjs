#!/usr/bin/env node
// Bundles the CLI into one CommonJS file, dist/dlpool-cli.cjs, which bin/dlpool.js runs through V8's code cache
// (src/cli/code-cache.ts, itself bundled to dist/dlpool-loader.cjs, says why CommonJS). Node then reads and compiles one file instead of resolving ~300
// modules on every start (`dlpool --version` 0.26 s -> see README, Benchmark). Code that is not on every run's
// path costs only its reading there: V8 compiles a function when it is first called. BullMQ and ioredis, half of
// all the code, are only read by the queue commands: they sit in their own file, dist/dlpool-queue-deps.cjs.
// The download worker and the bench probe are ES module bundles sharing chunks, all directly in dist/
// (src/paths.ts relies on that). The library (`import ... from 'dlpool'`) and the hash workers stay the plain tsc
// output in dist/.
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

// Chunks of an earlier build have other hashes: remove them so dist/ holds one consistent bundle. The code cache
// belongs to the bundle it was made from: scripts/code-cache.mjs makes a new one.
for (const f of fs.readdirSync(path.join(root, 'dist'))) {
  if (
    /^(chunk-[A-Z0-9]+|dlpool-cli|dlpool-thread-worker|dlpool-bench-probe)\.js(\.map)?$/.test(f) ||
    /^(dlpool-cli|dlpool-queue-deps|dlpool-loader)\.(cjs|cjs\.map|cache)$/.test(f)
  )
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
 * undici loads node:http at start-up for two things (~6 % of a one-file get's CPU, with the modules it brings:
 * measured 97 -> 91 ms user+sys without it): a class to compare a request body with (a body dlpool never sends),
 * and `http.maxHeaderSize`, the value of Node's --max-http-header-size. That option can only come from the
 * command line or NODE_OPTIONS; without it Node's default (16 KiB since Node 13) applies, and with it node:http
 * is asked as before. The build fails if undici's code changed shape.
 */
const UTIL_HTTP = "const { IncomingMessage } = require('node:http')\n";
const UTIL_CLASS = '.constructor === IncomingMessage)';
const CLIENT_HTTP = "const http = require('node:http')\n";
const CLIENT_LAZY =
  'const http = {\n' +
  '  get maxHeaderSize () {\n' +
  "    const given = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => a.includes('--max-http-header-size'))\n" +
  "    return given ? require('node:http').maxHeaderSize : 16384\n" +
  '  }\n' +
  '}\n';
const lazyHttp = {
  name: 'lazy-http',
  setup(b) {
    b.onLoad({ filter: /[\\/]undici[\\/]lib[\\/]core[\\/]util\.js$/ }, async (args) => {
      const text = await fs.promises.readFile(args.path, 'utf8');
      let contents = patchUndici(text, args.path, UTIL_HTTP, '');
      contents = patchUndici(
        contents,
        args.path,
        UTIL_CLASS,
        ".constructor === require('node:http').IncomingMessage)",
      );
      return { contents, loader: 'js', resolveDir: path.dirname(args.path) };
    });
    b.onLoad({ filter: /[\\/]undici[\\/]lib[\\/]dispatcher[\\/]client\.js$/ }, async (args) => {
      const text = await fs.promises.readFile(args.path, 'utf8');
      const contents = patchUndici(text, args.path, CLIENT_HTTP, CLIENT_LAZY);
      return { contents, loader: 'js', resolveDir: path.dirname(args.path) };
    });
  },
};
function patchUndici(text, file, from, to) {
  if (!text.includes(from)) throw new Error(`lazy-http: ${file} no longer contains ${from.trim()}`);
  return text.replace(from, to);
}

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

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  legalComments: 'none',
  sourcemap: 'linked',
  logLevel: 'warning',
};

await build({
  ...common,
  // The download worker of --mode threads is bundled too: each worker starts ~100 ms sooner; so is the process
  // `dlpool bench` starts for each run (started unbundled, it cost ~0.6 CPU-s against ~0.4).
  entryPoints: {
    'dlpool-thread-worker': 'src/engine/thread-worker.ts',
    'dlpool-bench-probe': 'src/cli/bench-probe.ts',
  },
  outdir: 'dist',
  splitting: true,
  format: 'esm',
  chunkNames: 'chunk-[hash]',
  external: ['tinypool'],
  // undici and other CommonJS dependencies call require() for Node's built-in modules.
  banner: {
    js: "import { createRequire as __dlpoolRequire } from 'node:module'; const require = __dlpoolRequire(import.meta.url);",
  },
  plugins: [undiciAgentsOnly, lazyHttp2],
});

const { CLI_WRAPPER_HEAD, CLI_WRAPPER_TAIL } = await import('../dist/cli/code-cache.js');

/** The queue commands' BullMQ and ioredis, from their own file (read only when a queue command runs). */
const QUEUE_DEPS = './dlpool-queue-deps.cjs';
const queueDepsApart = {
  name: 'queue-deps-apart',
  setup(b) {
    b.onResolve({ filter: /^(bullmq|ioredis)$/ }, () => ({ path: QUEUE_DEPS, external: true }));
  },
};

await build({
  ...common,
  // A worker started by `dlpool worker` starts with ~0.2 CPU-s less than when Node resolved their ~200 CommonJS
  // files. One file for both: BullMQ works with the ioredis it was given.
  stdin: {
    contents: "export * from 'bullmq';\nexport { Redis } from 'ioredis';\n",
    resolveDir: root,
    sourcefile: 'dlpool-queue-deps.js',
  },
  outfile: path.join('dist', QUEUE_DEPS),
  format: 'cjs',
});

await build({
  ...common,
  // bin/dlpool.js is CommonJS (bin/package.json): Node starts a CommonJS program ~3 ms sooner than an ES module
  // one, whose loader it must set up first.
  entryPoints: { 'dlpool-loader': 'src/cli/code-cache.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.cjs' },
  format: 'cjs',
});

/**
 * `import fs from 'node:fs'` becomes `__toESM(require('node:fs'), 1)` in a CommonJS bundle: a new object with a
 * getter for each of the module's ~100 exports, for every file that imports it (~50 on a one-file get: 3-4 ms of
 * CPU). For Node's built-in modules, always whole when required, it is made once per module: those calls go to a
 * helper of a name of the same length (the sourcemap stays right) that keeps esbuild's answer.
 */
const BUILTIN_TO_ESM = '__toESM(require("node:';
const SHARED_TO_ESM =
  'var __toESMs=new Map(),__toESB=(mod,isNodeMode)=>{let t=__toESMs.get(mod);' +
  'if(t===void 0)__toESMs.set(mod,t=__toESM(mod,isNodeMode));return t};';
const sharedToEsm = {
  name: 'shared-to-esm',
  setup(b) {
    b.onEnd((result) => {
      if (result.errors.length > 0) return;
      const file = path.join(root, 'dist', 'dlpool-cli.cjs');
      const text = fs.readFileSync(file, 'utf8');
      if (!text.includes(BUILTIN_TO_ESM))
        throw new Error(`shared-to-esm: ${file} no longer calls ${BUILTIN_TO_ESM}`);
      fs.writeFileSync(file, text.replaceAll(BUILTIN_TO_ESM, BUILTIN_TO_ESM.replace('__toESM', '__toESB')));
    });
  },
};

await build({
  ...common,
  entryPoints: { 'dlpool-cli': 'src/cli/main.ts' },
  // Without comments and indentation the file is a quarter smaller (1.57 -> 1.17 MB) to read and hash on every
  // start, and pure ASCII, which Node decodes ~3x faster than UTF-8 with a few non-ASCII characters in comments
  // (~2.4 -> ~0.7 ms): the sourcemap maps its positions back.
  minifyWhitespace: true,
  outdir: 'dist',
  outExtension: { '.js': '.cjs' },
  format: 'cjs',
  // tinypool starts its workers from its own files; they must stay where npm put them.
  external: ['tinypool'],
  // A script compiled from V8's code cache has lost what import() needs (Node: "A dynamic import callback was
  // not specified"), so import() becomes require(), which loads ES modules (tinypool) since Node 20.19.
  supported: { 'dynamic-import': false },
  // The only import.meta is the package's own location (src/paths.ts, and yargs' patched look-up).
  define: { 'import.meta.url': '__dlpoolFileUrl' },
  // The file is the function Node's CommonJS loader would wrap it in, written out: src/cli/code-cache.ts compiles it
  // as it is, without a second 1.2 MB string for the wrapped text. The bundle is strict as the ES modules it comes
  // from: "use strict" comes first.
  banner: {
    js:
      `${CLI_WRAPPER_HEAD}"use strict";\n` +
      "const __dlpoolFileUrl = require('node:url').pathToFileURL(__filename).href;\n" +
      SHARED_TO_ESM,
  },
  footer: { js: CLI_WRAPPER_TAIL },
  plugins: [lightTextWidth, undiciAgentsOnly, lazyHttp2, lazyHttp, yargsStartUp, queueDepsApart, sharedToEsm],
});
