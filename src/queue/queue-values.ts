import { delayRange, type NumberRange, wholeRange } from '../option-values.js';

/** The BullMQ queue the commands and workers use unless told another. */
export const DEFAULT_QUEUE = 'dlpool';

/** The range of each number option of queue mode (milliseconds), for the library and the flags that set them. */
export const QUEUE_RANGES = {
  redisTimeoutMs: delayRange(),
  // A lock renewed every half of it: a shorter one than a second is a typo, and expires under a busy event loop.
  lockMs: delayRange(1000),
  shardsAtOnce: wholeRange(1, 1000),
} as const satisfies Record<string, NumberRange>;
