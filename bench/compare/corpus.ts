import fs from 'node:fs';
import path from 'node:path';
import { syncFs, writeRandomFile } from '../lib/files.js';
import { fmtBytes, log } from '../lib/log.js';
import { SETS, type SetName } from './workloads.js';
import { makeFolders } from '../../src/common/make-folders.js';

/**
 * The corpus: www/small/s0000.bin.., www/big/b0.bin.. of random bytes, and lists/SET.SHA256SUMS (coreutils
 * format): the layout of the shared harness (../shared/bench), so BENCH_DIR can point at its corpus too.
 */
export interface Corpus {
  www: string;
  /** Expected sha256 by file name, per set. */
  sums: Partial<Record<SetName, Map<string, string>>>;
}

/** Reuses the sets under `base` when they are complete, else generates them. */
export function prepareCorpus(base: string, sets: readonly SetName[]): Corpus {
  const www = path.join(base, 'www');
  const sums: Corpus['sums'] = {};
  for (const set of sets) {
    const dir = path.join(www, set);
    const sumsFile = path.join(base, 'lists', `${set}.SHA256SUMS`);
    const have = corpusUsable(dir, set, sumsFile);
    if (have) {
      log(`corpus ${set}: reusing ${dir}`);
      sums[set] = have;
    } else {
      const t0 = performance.now();
      log(`corpus ${set}: generating ${SETS[set].count} x ${fmtBytes(SETS[set].size)} in ${dir}`);
      sums[set] = generateSet(dir, set, sumsFile);
      log(`corpus ${set}: done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
  }
  syncFs(www); // no write-back of the corpus during timed runs
  return { www, sums };
}

/** name -> hex digest of a coreutils-format checksum file. */
export function readSums(file: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (m) sums.set(m[2]!, m[1]!);
  }
  return sums;
}

/** The set's digests when every file is there with its size, else undefined. */
function corpusUsable(dir: string, set: SetName, sumsFile: string): Map<string, string> | undefined {
  const def = SETS[set];
  if (!fs.existsSync(sumsFile) || !fs.existsSync(dir)) return undefined;
  const sums = readSums(sumsFile);
  if (sums.size !== def.count) return undefined;
  if (fs.readdirSync(dir).length !== def.count) return undefined;
  for (let i = 0; i < def.count; i++) {
    const name = def.name(i);
    if (!sums.has(name)) return undefined;
    try {
      if (fs.statSync(path.join(dir, name)).size !== def.size) return undefined;
    } catch {
      return undefined;
    }
  }
  return sums;
}

function generateSet(dir: string, set: SetName, sumsFile: string): Map<string, string> {
  const def = SETS[set];
  makeFolders(dir);
  const sums = new Map<string, string>();
  for (let i = 0; i < def.count; i++) {
    const name = def.name(i);
    sums.set(name, writeRandomFile(path.join(dir, name), def.size));
  }
  makeFolders(path.dirname(sumsFile));
  const lines = [...sums].map(([name, hex]) => `${hex}  ${name}\n`).join('');
  fs.writeFileSync(`${sumsFile}.tmp`, lines);
  fs.renameSync(`${sumsFile}.tmp`, sumsFile);
  return sums;
}
