import { DlpoolError, redactUrl } from '../errors.js';
import { inRangeOr } from '../option-values.js';
import { QUEUE_RANGES } from './queue-values.js';

/** How long a queue command or a worker starting waits for Redis before it gives up. @default 10 s */
export const DEFAULT_REDIS_TIMEOUT_MS = 10_000;

/** A checked `--redis`: the URL ioredis gets, and how messages show it (no user or password). */
export interface RedisTarget {
  url: string;
  shown: string;
  /** The password, to be cut from any text an error of Redis's brings along. */
  secret: string;
  timeoutMs: number;
}

/** `redis://[user:password@]host[:port][/db]` (or `rediss://`, over TLS), or ERR_DL_USAGE. */
export function redisTarget(url: string, timeoutMs = DEFAULT_REDIS_TIMEOUT_MS): RedisTarget {
  inRangeOr('redisTimeoutMs', timeoutMs, DEFAULT_REDIS_TIMEOUT_MS, QUEUE_RANGES.redisTimeoutMs);
  let u: URL | undefined;
  try {
    u = new URL(url);
  } catch {
    // (Not quoted back: the text may hold a password that did not parse.)
  }
  if (!u || (u.protocol !== 'redis:' && u.protocol !== 'rediss:') || u.hostname === '') {
    throw new DlpoolError(
      'ERR_DL_USAGE',
      `--redis: expected redis://[user:password@]host[:port][/db] (or rediss://), got ${
        u ? `'${redactUrl(url)}'` : 'something that is not a URL'
      }`,
    );
  }
  return { url, shown: redactUrl(url), secret: decodeURIComponent(u.password), timeoutMs };
}
