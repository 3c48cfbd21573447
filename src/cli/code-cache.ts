/**
 * Loads the bundled CLI (dist/dlpool-cli.cjs) through V8's code cache. Compiling the ~1.5 MB bundle and then
 * each function it calls took about a third of a one-file `dlpool get`; `npm run build` runs that get once
 * (scripts/code-cache.mjs) and keeps V8's bytecode for every function compiled on the way in
 * dist/dlpool-cli.cache. Node 20 offers a code cache only to scripts (vm.Script), not to ES modules, which is
 * why the CLI is bundled as CommonJS.
 *
 * V8 checks a cache only against the source's length and its own version and flags, and trusts its bytes: a
 * cache made for other code of the same length would run that code. So the cache file carries the Node version
 * and a SHA-256 over the source and the cache; anything else (missing, stale, corrupt, refused by V8) is
 * compiled from source as if there were no cache.
 */

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import vm from 'node:vm';

const MAGIC = 'dlpool-v8-code-cache 1\n';

/** How the cache served one load: only `used` skipped the compiler. */
export type CacheUse = 'used' | 'missing' | 'stale' | 'rejected';

export interface LoadedScript {
  exports: Record<string, unknown>;
  cache: CacheUse;
  /** For scripts/code-cache.mjs: `script.createCachedData()` after a run holds every function compiled. */
  script: vm.Script;
  source: Buffer;
}

/** What a cache is valid for besides its source: V8 refuses other versions itself, this says so before it. */
function runtimeStamp(): string {
  return `${process.version} ${process.versions.v8} ${process.arch}`;
}

function digest(source: Buffer, data: Buffer): string {
  return createHash('sha256').update(source).update(data).digest('hex');
}

export function encodeCodeCache(source: Buffer, data: Buffer): Buffer {
  const header = `${MAGIC}${runtimeStamp()}\n${digest(source, data)}\n`;
  return Buffer.concat([Buffer.from(header, 'latin1'), data]);
}

/** The cache's V8 data if it was made for this source by this runtime and is intact; else undefined. */
export function decodeCodeCache(file: Buffer, source: Buffer): Buffer | undefined {
  if (file.toString('latin1', 0, MAGIC.length) !== MAGIC) return undefined;
  const stampEnd = file.indexOf(10, MAGIC.length);
  const hashEnd = stampEnd < 0 ? -1 : file.indexOf(10, stampEnd + 1);
  if (hashEnd < 0) return undefined;
  if (file.toString('latin1', MAGIC.length, stampEnd) !== runtimeStamp()) return undefined;
  const data = file.subarray(hashEnd + 1);
  return file.toString('latin1', stampEnd + 1, hashEnd) === digest(source, data) ? data : undefined;
}

/** A bundle for loadCommonJs: a CommonJS module inside the function Node's loader would wrap it in. */
export const CLI_WRAPPER_HEAD = '(function (exports, require, module, __filename, __dirname) {';
export const CLI_WRAPPER_TAIL = '})';

/**
 * Runs a CommonJS module written inside its function wrapper (CLI_WRAPPER_HEAD, CLI_WRAPPER_TAIL) as Node's own
 * loader would, with its code cache when `cacheFile` holds a valid one.
 */
export function loadCommonJs(file: string, cacheFile: string): LoadedScript {
  const source = fs.readFileSync(file);
  let stored: Buffer | undefined;
  try {
    stored = fs.readFileSync(cacheFile);
  } catch {}
  const cachedData = stored === undefined ? undefined : decodeCodeCache(stored, source);
  let cache: CacheUse = stored === undefined ? 'missing' : cachedData === undefined ? 'stale' : 'used';
  const script = new vm.Script(source.toString('utf8'), { filename: file, cachedData });
  if (cachedData !== undefined && script.cachedDataRejected === true) cache = 'rejected';
  const module = { exports: {} as Record<string, unknown> };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run.call(module.exports, module.exports, createRequire(file), module, file, path.dirname(file));
  return { exports: module.exports, cache, script, source };
}

export interface Cli {
  cli(): Promise<void>;
  main(argv: string[]): Promise<void>;
}

/** The bundled CLI, from the package's dist/ folder (bin/dlpool.js and the cache build both load it here). */
export function loadCli(distDir: string): LoadedScript & { exports: Cli } {
  // undici parses HTTP with a WebAssembly build of llhttp. V8 compiles it with its baseline compiler and then
  // again with TurboFan in the background, and a short run waits ~0.2 s for that second compile before it can
  // exit. Measured on 2000 x 16 KiB and 8 x 64 MiB: the baseline code parses as fast, so TurboFan is skipped.
  // Set here, before the compile: V8 accepts a code cache only under the flags it was made with.
  setFlagsFromString('--liftoff-only');
  const loaded = loadCommonJs(path.join(distDir, 'dlpool-cli.cjs'), path.join(distDir, 'dlpool-cli.cache'));
  return loaded as LoadedScript & { exports: Cli };
}

/** `dlpool` itself. */
export function runCli(distDir: string): Promise<void> {
  return loadCli(distDir).exports.cli();
}
