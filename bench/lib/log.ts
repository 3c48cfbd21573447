/** Progress lines of the harness: stderr, each with the time of day. Reports go to stdout. */
export function log(msg: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

/** `x` with `digits` decimals, or '–' when there is no value. */
export function fmt(x: number | null | undefined, digits: number): string {
  return x === null || x === undefined || Number.isNaN(x) ? '–' : x.toFixed(digits);
}

export const MiB = 1024 * 1024;

/** 16 KiB, 64 MiB. */
export function fmtBytes(n: number): string {
  return n >= MiB ? `${n / MiB} MiB` : `${n / 1024} KiB`;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
