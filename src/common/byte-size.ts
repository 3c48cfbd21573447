/** `1234`, `500K`, `1.5M`, `2G` (powers of 1024; a decimal as wget takes it), rounded down to whole bytes. */
const SIZE = /^(\d+(?:\.\d+)?|\.\d+)([kmg]?)$/i;
const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Bytes (or bytes per second) as a size flag takes them; undefined for anything else. */
export function parseByteSize(text: string): number | undefined {
  const m = SIZE.exec(text.trim());
  if (!m) return undefined;
  const n = Math.floor(Number(m[1]) * UNITS[m[2]!.toLowerCase()]!);
  return Number.isSafeInteger(n) ? n : undefined;
}

const WHOLE_SIZE = /^\d+[kmg]?$/i;

/** `1234`, `16K`, `64M`, `1G`: a size without a decimal or spaces (a path of the demo server). */
export function parseWholeByteSize(text: string): number | undefined {
  return WHOLE_SIZE.test(text) ? parseByteSize(text) : undefined;
}
