#!/usr/bin/env node
// Writes dist/dlpool-cli.cache, V8's code cache of the bundled CLI (src/cli/code-cache.ts says why), after the
// bundle. The cache holds every function compiled by the time it is made, so it is made after a real
// `dlpool --version` and a one-file `dlpool get` from a loopback server: what a short run compiles is then cached.
// It runs in a child with no NODE_OPTIONS: V8 refuses a cache made under other flags than a plain `dlpool` run's.
// A training run that fails leaves no cache and a warning, not a failed build (`npm install` runs this): the CLI
// runs without one, only slower (test/e2e/start-up.test.ts fails then).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const cacheFile = path.join(dist, 'dlpool-cli.cache');

if (process.argv[2] !== 'train') {
  fs.rmSync(cacheFile, { force: true });
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), 'train'], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (r.status !== 0) {
    fs.rmSync(cacheFile, { force: true });
    process.stderr.write(
      `code-cache: warning: no code cache, the training run failed (${r.status ?? r.signal})\n`,
    );
  }
  process.exit(0);
}

const { loadCli, encodeCodeCache } = await import(path.join(dist, 'cli/code-cache.js'));
const body = Buffer.alloc(16 * 1024, 'x');
const server = http.createServer((_req, res) => res.end(body));
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dlpool-code-cache-'));
try {
  const loaded = loadCli(dist);
  const { port } = server.address();
  await loaded.exports.main(['--version']);
  await loaded.exports.main(['get', `http://127.0.0.1:${port}/one.bin`, '-q', '-d', dir]);
  if (fs.statSync(path.join(dir, 'one.bin')).size !== body.length)
    throw new Error('the get did not write one.bin');
  if (process.exitCode) throw new Error(`the runs ended with exit code ${process.exitCode}`);
  fs.writeFileSync(cacheFile, encodeCodeCache(loaded.source, loaded.script.createCachedData()));
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
  server.closeAllConnections();
  server.close();
}
// The get's agents may keep sockets a moment: the cache is written, nothing else is left to do.
process.exit(0);
