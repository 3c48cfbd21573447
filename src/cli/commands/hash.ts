import { DEFAULT_HASH } from '../../hash/algorithms.js';
import { type ArgsOf, defineCommand, type OptionSpec, type PositionalSpec } from '../command.js';
import { hashingOptions } from './hashing.js';

const positionals = [
  {
    name: 'files',
    array: true,
    help: 'files to hash (one or more; - is stdin; -- before names starting with -)',
  },
] as const satisfies readonly PositionalSpec[];

const options = [
  {
    flag: 'algo',
    kind: 'string',
    key: 'algorithm',
    value: 'ALGO',
    defaultValue: DEFAULT_HASH,
    help: 'any node:crypto algorithm',
  },
  {
    flag: 'recursive',
    alias: ['r'],
    kind: 'boolean',
    default: 'off',
    help: "hash the files under each directory given (as find DIR -type f | sort; links not followed; dlpool's own .dlpool folders left out)",
  },
  ...hashingOptions('hash'),
] as const satisfies readonly OptionSpec[];

export type HashArgs = ArgsOf<typeof positionals, typeof options>;

export const hashCommand = defineCommand({
  name: 'hash',
  describe:
    'print coreutils-format digests of files (like sha256sum), computed in parallel, in argument order',
  positionals,
  options,
  examples: [
    ['$0 hash *.iso --hash-pool threads -w 4 > SHA256SUMS', 'digests in argument order, 4 at a time'],
    ['$0 hash --algo sha512 -- -odd-name.bin', 'another algorithm; -- before names that start with -'],
  ],
});
