import { DEFAULT_SHARD_SIZE } from '../../options.js';
import { type ArgsOf, defineCommand, type OptionSpec, type PositionalSpec } from '../command.js';
import { REDIS_OPTIONS } from './redis.js';

/** How often `queue status --watch` asks Redis again. */
export const WATCH_INTERVAL_MS = 2000;

const positionals = [
  {
    name: 'action',
    required: true,
    choices: ['add', 'status', 'results'],
    help: "add LIST's shards as jobs; the status of the shards; the results: the merged manifest",
  },
  { name: 'list', help: 'the list to add (a path every worker reaches)', complete: 'file' },
] as const satisfies readonly PositionalSpec[];

const options = [
  ...REDIS_OPTIONS,
  {
    flag: 'shard-size',
    kind: 'count',
    key: 'shardSize',
    value: 'N',
    defaultValue: DEFAULT_SHARD_SIZE,
    help: 'lines per shard (add)',
  },
  {
    flag: 'list-root',
    kind: 'string',
    key: 'listRoot',
    value: 'DIR',
    default: '',
    help: "add: record the list's path relative to DIR (each worker finds it under its own --list-root)",
  },
  { flag: 'json', kind: 'boolean', default: 'off', help: 'print JSON' },
  {
    flag: 'watch',
    kind: 'boolean',
    default: 'off',
    help: `status: again every ${WATCH_INTERVAL_MS / 1000} s until no shard waits or runs`,
  },
] as const satisfies readonly OptionSpec[];

export type QueueArgs = ArgsOf<typeof positionals, typeof options>;

export const queueCommand = defineCommand({
  name: 'queue',
  describe: 'shards of a list as jobs on Redis (BullMQ): add LIST, status, results',
  positionals,
  options,
  examples: [
    ['$0 queue add urls.txt --redis redis://10.0.0.5:6379', 'one job per 10,000 lines'],
    ['$0 queue status --redis redis://10.0.0.5:6379 --watch', 'follow the shards to the end'],
    ['$0 queue results --redis redis://10.0.0.5:6379 > SHA256SUMS', 'the merged manifest'],
  ],
});
