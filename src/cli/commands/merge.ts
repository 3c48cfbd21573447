import { type ArgsOf, defineCommand, type OptionSpec, type PositionalSpec } from '../command.js';

const positionals = [
  { name: 'dir', help: 'the --dir of the sharded runs [.]', complete: 'dir' },
] as const satisfies readonly PositionalSpec[];

const options = [
  {
    flag: 'manifest',
    kind: 'string',
    value: 'FILE',
    default: '',
    help: 'write the merged manifest (sha256sum format) to FILE instead of stdout',
  },
  {
    flag: 'failed',
    kind: 'string',
    value: 'FILE',
    default: '',
    help: 'write the URLs that failed to FILE, one per line (a list dlpool get takes)',
  },
] as const satisfies readonly OptionSpec[];

export type MergeArgs = ArgsOf<typeof positionals, typeof options>;

export const mergeCommand = defineCommand({
  name: 'merge',
  describe: 'merge the shards of a sharded list (--shard, --shard-size) in DIR: one manifest, the failures',
  positionals,
  options,
  examples: [
    ['$0 merge out --manifest out/SHA256SUMS', 'after every --shard I/N run into out/ has finished'],
  ],
});
