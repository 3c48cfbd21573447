import { DEFAULT_REDIS_TIMEOUT_MS } from '../../queue/redis-url.js';
import type { OptionSpec } from '../command.js';

/** --redis, --redis-timeout and --queue, as `dlpool queue` and `dlpool worker` both take them. */
export const REDIS_OPTIONS = [
  {
    flag: 'redis',
    kind: 'string',
    value: 'URL',
    required: true,
    default: '',
    help: 'Redis URL, redis://[user:password@]host[:port][/db] (rediss:// for TLS)',
  },
  {
    flag: 'redis-timeout',
    kind: 'number',
    value: 'SEC',
    default: String(DEFAULT_REDIS_TIMEOUT_MS / 1000),
    help: 'seconds to wait for Redis before giving up (exit 2)',
  },
  { flag: 'queue', kind: 'string', value: 'NAME', default: 'dlpool', help: 'queue name' },
] as const satisfies readonly OptionSpec[];
