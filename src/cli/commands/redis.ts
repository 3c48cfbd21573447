import { QUEUE_RANGES, DEFAULT_QUEUE } from '../../queue/queue-values.js';
import { DEFAULT_REDIS_TIMEOUT_MS } from '../../queue/redis-url.js';
import type { OptionSpec } from '../command.js';

/** --redis, --redis-timeout and --queue, as `dlpool queue` and `dlpool worker` both take them. */
export const REDIS_OPTIONS = [
  {
    flag: 'redis',
    kind: 'string',
    key: 'redis',
    value: 'URL',
    required: true,
    default: '',
    help: 'Redis URL, redis://[user:password@]host[:port][/db] (rediss:// for TLS)',
  },
  {
    flag: 'redis-timeout',
    kind: 'seconds',
    key: 'redisTimeoutMs',
    value: 'SEC',
    range: QUEUE_RANGES.redisTimeoutMs,
    defaultValue: DEFAULT_REDIS_TIMEOUT_MS / 1000,
    help: 'seconds to wait for Redis before giving up (exit 2)',
  },
  {
    flag: 'queue',
    kind: 'string',
    key: 'queue',
    value: 'NAME',
    defaultValue: DEFAULT_QUEUE,
    help: 'queue name',
  },
] as const satisfies readonly OptionSpec[];
