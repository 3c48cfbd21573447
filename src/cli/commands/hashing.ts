import { DEFAULT_WORKERS, DEFAULTS, HASH_POOL_KINDS } from '../../options.js';
import type { OptionSpec } from '../command.js';

/** --hash-pool, -w and --json, as `dlpool verify` and `dlpool hash` both take them. */
export function hashingOptions(command: 'verify' | 'hash') {
  return [
    {
      flag: 'hash-pool',
      kind: 'choice',
      key: 'hashPool',
      choices: HASH_POOL_KINDS,
      defaultValue: DEFAULTS.hashPool,
      help: 'where digests are computed',
    },
    {
      flag: 'workers',
      alias: ['w'],
      kind: 'count',
      key: 'workers',
      value: 'N',
      default: 'half the cores',
      help: `pool size (here: ${DEFAULT_WORKERS})`,
    },
    {
      flag: 'json',
      kind: 'boolean',
      default: 'off',
      help: `print one JSON document, one result per line (schemas/${command}.schema.json)`,
    },
  ] as const satisfies readonly OptionSpec[];
}
