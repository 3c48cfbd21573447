import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository's root. The harness runs compiled from dist-bench/bench/ (and as TypeScript under vitest from
 * bench/), so the root is the first folder above this file that holds package.json.
 */
function findRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // bench/lib -> the root; dist-bench/bench/lib -> the root.
  return path.basename(path.resolve(here, '../..')) === 'dist-bench'
    ? path.resolve(here, '../../..')
    : path.resolve(here, '../..');
}

export const REPO = findRoot();
/** The built CLI every bench runs (npm run build makes it). */
export const DLPOOL_BIN = path.join(REPO, 'bin', 'dlpool.js');
/** Where the compiled harness sits (node-floor runs from there). */
export const HARNESS_DIR = path.join(REPO, 'dist-bench', 'bench');
/** Default of SHARED_BENCH: the shared loopback harness beside this checkout. */
export const SHARED_BENCH_DEFAULT = path.resolve(REPO, '..', 'shared', 'bench');
