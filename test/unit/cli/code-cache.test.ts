import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  CLI_WRAPPER_HEAD,
  CLI_WRAPPER_TAIL,
  decodeCodeCache,
  encodeCodeCache,
  loadCommonJs,
} from '../../../src/cli/code-cache.js';
import { tmpDir } from '../../helpers/tmp.js';

/** A module as the build writes the CLI's bundle. */
const wrap = (body: string) => `${CLI_WRAPPER_HEAD}${body}\n${CLI_WRAPPER_TAIL}`;
// Two programs of the same length: V8 tells their caches apart by length only.
const OLD = wrap('module.exports = { answer: () => "old" };');
const NEW = wrap('module.exports = { answer: () => "new" };');

let dir: string;
let file: string;
let cacheFile: string;

beforeEach(async () => {
  dir = await tmpDir('dlpool-code-cache-');
  file = path.join(dir, 'bundle.cjs');
  cacheFile = path.join(dir, 'bundle.cache');
});

/** What scripts/code-cache.mjs does: load the file, run it, keep V8's cache of what ran. */
function writeCache(source: string): void {
  fs.writeFileSync(file, source);
  const loaded = loadCommonJs(file, cacheFile);
  (loaded.exports as { answer: () => string }).answer();
  fs.writeFileSync(cacheFile, encodeCodeCache(loaded.source, loaded.script.createCachedData()));
}

function load(): { cache: string; answer: string } {
  const loaded = loadCommonJs(file, cacheFile);
  return { cache: loaded.cache, answer: (loaded.exports as { answer: () => string }).answer() };
}

describe('code cache', () => {
  it('is used when it was made from the same file by this Node', () => {
    writeCache(OLD);
    expect(load()).toEqual({ cache: 'used', answer: 'old' });
  });

  it('is compiled without when there is none', () => {
    fs.writeFileSync(file, OLD);
    expect(load()).toEqual({ cache: 'missing', answer: 'old' });
  });

  // Why the cache file carries a digest of the source: V8 alone runs the old code.
  it('V8 alone takes a cache made for other code of the same length', () => {
    writeCache(OLD);
    const data = decodeCodeCache(fs.readFileSync(cacheFile), Buffer.from(OLD))!;
    const script = new vm.Script(NEW, { filename: file, cachedData: data });
    expect(script.cachedDataRejected).toBe(false);
  });

  it('is not used once the file changed, even to the same length: the new code runs', () => {
    writeCache(OLD);
    fs.writeFileSync(file, NEW);
    expect(load()).toEqual({ cache: 'stale', answer: 'new' });
  });

  it('is not used when one byte of it changed', () => {
    writeCache(OLD);
    const stored = fs.readFileSync(cacheFile);
    const at = stored.length - 100;
    stored.writeUInt8(stored.readUInt8(at) ^ 0xff, at);
    fs.writeFileSync(cacheFile, stored);
    expect(load()).toEqual({ cache: 'stale', answer: 'old' });
  });

  it('is not used when another Node made it', () => {
    writeCache(OLD);
    const text = fs.readFileSync(cacheFile, 'latin1').replace(process.version, 'v0.0.1');
    fs.writeFileSync(cacheFile, Buffer.from(text, 'latin1'));
    expect(load()).toEqual({ cache: 'stale', answer: 'old' });
  });

  it('falls back when V8 refuses it', () => {
    writeCache(OLD);
    // A cache that passes dlpool's checks but was made for other code: V8 sees another length and refuses it.
    const other = wrap('module.exports = { answer: () => "longer" };');
    const data = decodeCodeCache(fs.readFileSync(cacheFile), Buffer.from(OLD))!;
    fs.writeFileSync(file, other);
    fs.writeFileSync(cacheFile, encodeCodeCache(Buffer.from(other), data));
    expect(load()).toEqual({ cache: 'rejected', answer: 'longer' });
  });

  it('is nothing but the cache file: not a cache is not used', () => {
    fs.writeFileSync(file, OLD);
    fs.writeFileSync(cacheFile, 'not a cache');
    expect(load()).toEqual({ cache: 'stale', answer: 'old' });
  });
});
