import { DEFAULT_LOCK_MS } from '../../queue/job-data.js';
import { QUEUE_RANGES } from '../../queue/queue-values.js';
import { type ArgsOf, defineCommand, type OptionSpec, type PositionalSpec } from '../command.js';
import { GET_OPTIONS } from './get-options.js';
import { REDIS_OPTIONS } from './redis.js';

const positionals = [] as const satisfies readonly PositionalSpec[];

const options = [
  ...GET_OPTIONS,
  ...REDIS_OPTIONS,
  {
    flag: 'list-root',
    kind: 'string',
    key: 'listRoot',
    value: 'DIR',
    required: true,
    default: '',
    help: 'the folder whose lists this worker reads; a job naming a file outside it (links resolved) fails',
  },
  {
    flag: 'shards-at-once',
    kind: 'count',
    value: 'N',
    range: QUEUE_RANGES.shardsAtOnce,
    defaultValue: 1,
    help: 'shards this worker runs at the same time, each with its own -j (one connection pool)',
  },
  {
    flag: 'drain',
    kind: 'boolean',
    default: 'off',
    help: 'exit once no shard waits or runs (0, or 1 if a URL failed)',
  },
  {
    flag: 'lock',
    kind: 'seconds',
    value: 'SEC',
    range: QUEUE_RANGES.lockMs,
    defaultValue: DEFAULT_LOCK_MS / 1000,
    help: "seconds a shard stays taken without this worker renewing it (a dead worker's shard waits this long)",
  },
] as const satisfies readonly OptionSpec[];

export type WorkerArgs = ArgsOf<typeof positionals, typeof options>;

export const workerCommand = defineCommand({
  name: 'worker',
  describe: 'run shards from the Redis queue through the normal engine (takes every get option)',
  positionals,
  options,
  examples: [
    [
      '$0 worker --redis redis://10.0.0.5:6379 --list-root /data/lists -d /data/out',
      'take shards until stopped',
    ],
    ['$0 worker --redis redis://10.0.0.5:6379 --list-root . --drain', 'exit once the queue is empty'],
  ],
});
