import { delayRange, type NumberRange, wholeRange } from '../option-values.js';

/** What `createServer` does unless told otherwise (and what `dlpool serve` says it does). */
export const SERVE_DEFAULTS = {
  host: '127.0.0.1',
  /** Any free port. */
  port: 0,
  latencyMs: 0,
  failRate: 0,
  dropRate: 0,
  seed: 1,
} as const;

/** The range of each number option of createServer, for it and for `dlpool serve`'s flags. */
export const SERVE_RANGES = {
  port: wholeRange(0, 65_535),
  // Any fraction of a millisecond a timer takes, up to what it holds.
  latencyMs: { ...delayRange(0), whole: false },
  rateBytesPerSec: wholeRange(1),
  failRate: { min: 0, max: 1, whole: false },
  dropRate: { min: 0, max: 1, whole: false },
  seed: wholeRange(Number.MIN_SAFE_INTEGER),
} as const satisfies Record<string, NumberRange>;
