import { MIN_RUNS } from '../../bench/judge.js';
import { BENCH_HASH_POOLS, buildMatrix, DEFAULT_AXES } from '../../bench/matrix.js';
import { wholeRange } from '../../option-values.js';
import { DOWNLOAD_RANGES } from '../../download-options.js';
import { ENGINE_MODES } from '../../options.js';
import { type ArgsOf, defineCommand, type OptionSpec, type PositionalSpec } from '../command.js';

/** Timed runs per configuration unless --runs says otherwise: the fewest from which a difference is claimed. */
export const DEFAULT_RUNS = MIN_RUNS;

/**
 * The quick look's duration, from a model rather than a guess: its configurations x runs x the cost of one
 * many-small run (probe start, 600 files, verification, clean-up), measured on this 2-core machine while
 * shared with other work (load 4-7): 36, 42, 50, 38 and 38 s for the 27 runs, 1.3-1.8 s a run, 1.5 s for a
 * bench of one run.
 */
const QUICK_CONFIGS = buildMatrix({ ...DEFAULT_AXES, modes: ['async'], concurrency: [4, 16] }).length;
const QUICK_SECONDS = Math.round((1 + QUICK_CONFIGS * MIN_RUNS * 1.45) / 5) * 5;

const positionals = [
  { name: 'sources', array: true, help: 'URL list files or URLs' },
] as const satisfies readonly PositionalSpec[];

const options = [
  {
    flag: 'demo',
    kind: 'boolean',
    default: 'off',
    help: 'built-in workloads on the embedded server (no list needed)',
  },
  {
    flag: 'workloads',
    kind: 'string',
    value: 'LIST',
    default: 'the first three',
    help: 'with --demo: many-small,few-large,latency,capped',
  },
  {
    flag: 'modes',
    kind: 'choice',
    list: true,
    choices: ENGINE_MODES,
    value: 'LIST',
    defaultValue: DEFAULT_AXES.modes.join(','),
    help: 'engines to compare',
  },
  {
    flag: 'concurrency',
    alias: ['j'],
    kind: 'count',
    list: true,
    range: DOWNLOAD_RANGES.concurrency,
    value: 'LIST',
    defaultValue: DEFAULT_AXES.concurrency.join(','),
    help: '-j values',
  },
  {
    flag: 'workers',
    alias: ['w'],
    kind: 'count',
    list: true,
    range: DOWNLOAD_RANGES.workers,
    value: 'LIST',
    defaultValue: DEFAULT_AXES.workers.join(','),
    help: 'worker counts',
  },
  {
    flag: 'hash-pool',
    kind: 'choice',
    list: true,
    choices: BENCH_HASH_POOLS,
    value: 'LIST',
    default: 'all',
    help: 'hashing: none,inline,threads,processes',
  },
  {
    flag: 'split',
    alias: ['x'],
    kind: 'count',
    list: true,
    range: DOWNLOAD_RANGES.split,
    value: 'LIST',
    defaultValue: DEFAULT_AXES.split.join(','),
    help: '-x values: connections per large file, e.g. 1,4,8',
  },
  {
    flag: 'runs',
    kind: 'count',
    value: 'N',
    range: wholeRange(1, 100),
    defaultValue: DEFAULT_RUNS,
    help: 'timed runs per configuration; median and range reported, a difference claimed only beyond the ranges',
  },
  {
    flag: 'checksums',
    alias: ['c'],
    kind: 'string',
    value: 'FILE',
    default: '',
    help: 'checksum file the reference download must match',
  },
  { flag: 'json', kind: 'string', value: 'FILE', default: '', help: 'write every measurement to FILE' },
  {
    flag: 'html',
    kind: 'string',
    value: 'FILE',
    default: '',
    help: 'write a self-contained report with charts to FILE',
  },
  {
    flag: 'from',
    kind: 'string',
    value: 'FILE',
    default: '',
    help: 'render a saved --json report again instead of running',
  },
] as const satisfies readonly OptionSpec[];

export type BenchArgs = ArgsOf<typeof positionals, typeof options>;

export const benchCommand = defineCommand({
  name: 'bench',
  describe:
    'run a list under each concurrency mode, -j, worker count and hash pool; report, chart and explain',
  positionals,
  options,
  examples: [
    [
      '$0 bench --demo --workloads many-small --modes async -j 4,16',
      `a quick look: ${QUICK_CONFIGS} configurations x ${MIN_RUNS} runs, ~${QUICK_SECONDS} s on 2 busy cores (it says the time left after its first round)`,
    ],
    ['$0 bench list.txt --html report.html', 'your own list, every mode, with charts'],
  ],
  epilog:
    '--demo runs three workloads under every mode, -j, worker count and hash pool, 3 runs each: several ' +
    'minutes. Narrow it with --workloads, --modes, -j, -w and --hash-pool; --runs 1 is quicker but, one run ' +
    'measuring no noise, claims no difference and recommends nothing.',
});
