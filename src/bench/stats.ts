import type { BenchRun, BenchStats, RunMetrics } from './types.js';

/** Small statistics shared by `dlpool bench` and the bench harness (bench/). */

const MiB = 1024 * 1024;

/** The median of `xs`; undefined for an empty list. */
export function median(xs: readonly number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** `x` rounded to `digits` decimal places. */
export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** A configuration's medians over its runs that passed verification; undefined when none did. */
export function runStats(
  runs: BenchRun[],
  files: number,
  bytes: number,
  cores: number,
): BenchStats | undefined {
  const ok = runs.filter((r): r is BenchRun & RunMetrics => r.ok && r.wallMs !== undefined);
  if (ok.length === 0) return undefined;
  // ok is not empty, so every median below is a number.
  const wallMs = median(ok.map((r) => r.wallMs))!;
  const cpuMs = median(ok.map((r) => r.cpuUserMs + r.cpuSystemMs + r.childCpuMs))!;
  return {
    wallMs,
    cpuMs,
    cpuUtil: cpuMs / wallMs / cores,
    elu: median(ok.map((r) => r.elu))!,
    maxRssMiB: median(ok.map((r) => r.maxRssMiB))!,
    mibPerSec: bytes / MiB / (wallMs / 1000),
    filesPerSec: files / (wallMs / 1000),
  };
}
