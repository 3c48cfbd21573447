import { DEFAULTS } from '../../options.js';
import { type ArgsOf, defineCommand, type OptionSpec, type PositionalSpec } from '../command.js';
import { hashingOptions } from './hashing.js';

const positionals = [
  { name: 'sums', required: true, help: 'checksum file (GNU coreutils or BSD tag format)' },
] as const satisfies readonly PositionalSpec[];

const options = [
  {
    flag: 'dir',
    alias: ['d'],
    kind: 'string',
    key: 'dir',
    value: 'DIR',
    defaultValue: DEFAULTS.dir,
    help: 'directory the names are relative to',
  },
  {
    flag: 'algo',
    kind: 'string',
    key: 'algorithm',
    value: 'ALGO',
    default: 'by digest length',
    help: 'the algorithm of untagged lines as long as its digests (sha3-256 and sha256 are both 64 digits), as cksum -a ALGO -c reads them; tagged lines name their own',
  },
  ...hashingOptions('verify'),
  { flag: 'quiet', alias: ['q'], kind: 'boolean', default: 'off', help: 'print only failures' },
] as const satisfies readonly OptionSpec[];

export type VerifyArgs = ArgsOf<typeof positionals, typeof options>;

export const verifyCommand = defineCommand({
  name: 'verify',
  describe: 'check files on disk against a checksum file, like sha256sum -c, hashing in parallel',
  positionals,
  options,
  examples: [
    ['$0 verify SHA256SUMS -d out', 'check the files of out/ as sha256sum -c would'],
    ['$0 verify SHA256SUMS --hash-pool threads -w 4 -q', 'on 4 threads, print only failures'],
    ['$0 verify SHA3SUMS --algo sha3-256', 'untagged sha3-256 lines'],
  ],
});
