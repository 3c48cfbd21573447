import { createHash } from 'node:crypto';
import { parseSize, synthBytes } from './synth.js';

/**
 * Workloads described in a URL, so benchmarks need no files on disk: `/list/2000x16K` is a URL list of 2000
 * synthetic 16 KiB files, `/list/8x64M,100x1M` two groups; `/sums/SPEC` their sha256sum-format checksums.
 */
export interface WorkloadGroup {
  count: number;
  size: number;
  /** The size as written in the spec (`16K`), used in paths so they stay readable. */
  sizeText: string;
}

const MAX_FILES = 10_000_000;

export function parseWorkload(spec: string): WorkloadGroup[] | undefined {
  const groups: WorkloadGroup[] = [];
  let files = 0;
  for (const part of spec.split(',')) {
    const m = /^(\d+)x([0-9]+[kKmMgG]?)$/.exec(part);
    if (!m) return undefined;
    const count = Number(m[1]);
    const size = parseSize(m[2]!);
    if (size === undefined || count < 1) return undefined;
    files += count;
    if (files > MAX_FILES) return undefined;
    groups.push({ count, size, sizeText: m[2]! });
  }
  return groups.length > 0 ? groups : undefined;
}

/** Path (from the server root) and size of every file of a workload, in list order. */
export function* workloadFiles(
  spec: string,
  groups: WorkloadGroup[],
): Generator<{ path: string; size: number }> {
  for (const [k, g] of groups.entries()) {
    const width = String(g.count).length;
    for (let i = 1; i <= g.count; i++) {
      const name = `${spec.replace(/,/g, '_')}-${k}-${String(i).padStart(width, '0')}.bin`;
      yield { path: `/gen/${g.sizeText}/${name}`, size: g.size };
    }
  }
}

const STEP = 1024 * 1024;

/** The bytes of a synthetic file in 1 MiB steps (a 1 GiB file never sits in memory). */
export function* synthChunks(path: string, size: number): Generator<Buffer> {
  for (let pos = 0; pos < size; pos += STEP) yield synthBytes(path, pos, Math.min(size, pos + STEP));
}

/** sha256 of a synthetic file. */
export function synthSha256(path: string, size: number): string {
  const h = createHash('sha256');
  for (const chunk of synthChunks(path, size)) h.update(chunk);
  return h.digest('hex');
}

/** Base name of a workload file, as a downloader names it. */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
