#!/usr/bin/env node
// What dist/ was built from. The thread workers, hash pools and bench probe load dist/ even when the tests run
// src/ as TypeScript, so a test run must know whether dist/ matches src/. `npm run build` calls `start` first and
// `finish` last; the test setup (test/helpers/fresh-build.ts) asks staleness() before any test runs.
//
// Sources are compared by content, not mtime: a fresh clone or a branch switch gives every file a new mtime, and
// switching back to the built branch should not ask for a rebuild. Outputs are compared by size and mtime, which
// only this build writes: that catches a dist/ changed by anything else (`tsc` or the bundle run alone, a file
// deleted) at the cost of a stat per file.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const FORMAT = 1;

/** Everything the build reads, by path from the root: folders are read whole. */
export const INPUTS = [
  'src',
  'bench',
  'scripts/bundle.mjs',
  'scripts/code-cache.mjs',
  'scripts/man.mjs',
  'tsconfig.json',
  'package.json',
  // The bundle holds the installed dependencies' code (undici, yargs, BullMQ...): npm rewrites this file on every
  // install that changes them.
  'node_modules/.package-lock.json',
];

/** Everything the build writes. */
export const OUTPUTS = ['dist', 'dist-bench', 'man'];

const STAMP_PREFIX = 'dist/.build-stamp';
export const STAMP = `${STAMP_PREFIX}.json`;
const PENDING = `${STAMP_PREFIX}.pending.json`;

/** Files below each entry that exist (a file entry stands for itself), as sorted paths with forward slashes. */
function listFiles(root, entries) {
  const files = [];
  for (const entry of entries) {
    const abs = path.join(root, entry);
    let stat;
    try {
      stat = fs.statSync(abs);
    } catch (err) {
      if (err.code === 'ENOENT') continue;
      throw err;
    }
    if (stat.isFile()) {
      files.push(entry);
      continue;
    }
    for (const d of fs.readdirSync(abs, { recursive: true, withFileTypes: true })) {
      if (d.isFile())
        files.push(path.relative(root, path.join(d.parentPath, d.name)).split(path.sep).join('/'));
    }
  }
  return files.sort();
}

/** Each input's SHA-256. */
export function hashInputs(root, inputs = INPUTS) {
  const out = {};
  for (const f of listFiles(root, inputs))
    out[f] = crypto
      .createHash('sha256')
      .update(fs.readFileSync(path.join(root, f)))
      .digest('hex');
  return out;
}

/** Each output's size and mtime (the stamp and its temporaries left out: they describe the others). */
export function statOutputs(root, outputs = OUTPUTS) {
  const out = {};
  for (const f of listFiles(root, outputs)) {
    if (f.startsWith(STAMP_PREFIX)) continue;
    const s = fs.statSync(path.join(root, f));
    out[f] = `${s.size}:${s.mtimeMs}`;
  }
  return out;
}

/** The keys whose values differ between two records, or that only one has, sorted. */
function differing(was, now) {
  const keys = new Set([...Object.keys(was), ...Object.keys(now)]);
  return [...keys].filter((k) => was[k] !== now[k]).sort();
}

function some(files) {
  return files.length === 1 ? files[0] : `${files[0]} and ${files.length - 1} more`;
}

/**
 * Why dist/ does not match the sources as they are now, as a clause starting with a path (`dist/ is missing`),
 * or undefined when it does. `layout` replaces INPUTS and OUTPUTS (the tests of this check use a tree of their own).
 */
export function staleness(root, layout = { inputs: INPUTS, outputs: OUTPUTS }) {
  if (!fs.existsSync(path.join(root, 'dist'))) return 'dist/ is missing';
  let stamp;
  try {
    stamp = JSON.parse(fs.readFileSync(path.join(root, STAMP), 'utf8'));
  } catch {
    stamp = undefined;
  }
  if (stamp?.format !== FORMAT)
    return fs.existsSync(path.join(root, PENDING))
      ? 'dist/ is from a build that did not finish'
      : 'dist/ has no build stamp';
  const inputs = differing(stamp.inputs, hashInputs(root, layout.inputs));
  if (inputs.length) return `dist/ was built before ${some(inputs)} changed`;
  const outputs = differing(stamp.outputs, statOutputs(root, layout.outputs));
  if (outputs.length) return `${some(outputs)} changed after dist/ was built`;
  return undefined;
}

/**
 * Before the build: empties the output folders (tsc never removes the output of a source that was moved or
 * deleted, and a test could go on loading it) and notes the inputs as they are now, so a file edited while the
 * build runs makes the stamp disagree with the sources rather than vouch for them.
 */
export function startBuild(root, layout = { inputs: INPUTS, outputs: OUTPUTS }) {
  for (const d of layout.outputs) fs.rmSync(path.join(root, d), { recursive: true, force: true });
  fs.mkdirSync(path.join(root, 'dist'), { recursive: true });
  fs.writeFileSync(path.join(root, PENDING), JSON.stringify({ inputs: hashInputs(root, layout.inputs) }));
}

/** After every step of the build succeeded: writes the stamp (whole, by rename). */
export function finishBuild(root, layout = { inputs: INPUTS, outputs: OUTPUTS }) {
  let pending;
  try {
    pending = JSON.parse(fs.readFileSync(path.join(root, PENDING), 'utf8'));
  } catch (err) {
    throw new Error(`build-stamp: ${PENDING} is missing: run the whole build (npm run build)`, {
      cause: err,
    });
  }
  const stamp = { format: FORMAT, inputs: pending.inputs, outputs: statOutputs(root, layout.outputs) };
  const tmp = path.join(root, `${STAMP_PREFIX}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, JSON.stringify(stamp));
  fs.renameSync(tmp, path.join(root, STAMP));
  fs.rmSync(path.join(root, PENDING));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const step = process.argv[2];
  if (step === 'start') startBuild(root);
  else if (step === 'finish') finishBuild(root);
  else if (step === 'check') {
    const why = staleness(root);
    process.stdout.write(`${why ?? 'dist/ matches its sources'}\n`);
    process.exitCode = why ? 1 : 0;
  } else {
    process.stderr.write('usage: node scripts/build-stamp.mjs start|finish|check\n');
    process.exitCode = 2;
  }
}
