import { ROUTES } from '../../server/routes.js';
import { SERVE_DEFAULTS, SERVE_RANGES } from '../../server/serve-values.js';
import { type ArgsOf, defineCommand, type OptionSpec, type PositionalSpec } from '../command.js';

const positionals = [] as const satisfies readonly PositionalSpec[];

const options = [
  {
    flag: 'root',
    kind: 'string',
    key: 'root',
    value: 'DIR',
    default: '',
    help: 'serve files under this directory instead of /gen/',
  },
  {
    flag: 'dotfiles',
    kind: 'boolean',
    key: 'dotfiles',
    default: 'off',
    help: 'with --root, also serve hidden files (.env, .git/)',
  },
  {
    flag: 'port',
    kind: 'count',
    key: 'port',
    value: 'N',
    range: SERVE_RANGES.port,
    defaultValue: SERVE_DEFAULTS.port,
    help: 'port, 0 for any free one',
  },
  {
    flag: 'host',
    kind: 'string',
    key: 'host',
    value: 'ADDR',
    defaultValue: SERVE_DEFAULTS.host,
    help: 'address to listen on',
  },
  {
    flag: 'latency',
    kind: 'number',
    key: 'latencyMs',
    value: 'MS',
    range: SERVE_RANGES.latencyMs,
    defaultValue: SERVE_DEFAULTS.latencyMs,
    help: 'milliseconds to hold back every response',
  },
  {
    flag: 'rate',
    kind: 'size',
    key: 'rateBytesPerSec',
    value: 'BYTES',
    range: SERVE_RANGES.rateBytesPerSec,
    size: { unit: 'bytes per second', examples: '500K or 10M' },
    default: 'unlimited',
    help: 'pace each connection at BYTES per second, e.g. 10M',
  },
  {
    flag: 'fail-rate',
    kind: 'number',
    key: 'failRate',
    value: 'P',
    range: SERVE_RANGES.failRate,
    defaultValue: SERVE_DEFAULTS.failRate,
    help: 'share of requests answered 503 + Retry-After: 1',
  },
  {
    flag: 'drop-rate',
    kind: 'number',
    key: 'dropRate',
    value: 'P',
    range: SERVE_RANGES.dropRate,
    defaultValue: SERVE_DEFAULTS.dropRate,
    help: 'share of bodies cut half-way',
  },
  {
    flag: 'seed',
    kind: 'count',
    key: 'seed',
    value: 'N',
    range: SERVE_RANGES.seed,
    defaultValue: SERVE_DEFAULTS.seed,
    help: 'seed of the fault dice, for reproducible runs',
  },
] as const satisfies readonly OptionSpec[];

export type ServeArgs = ArgsOf<typeof positionals, typeof options>;

export const serveCommand = defineCommand({
  name: 'serve',
  describe: 'serve synthetic files (/gen/SIZE/NAME, lists at /list/COUNTxSIZE) or --root files on 127.0.0.1',
  positionals,
  options,
  examples: [
    ['$0 serve --port 0', 'serve on any free port of 127.0.0.1 (the URL is printed)'],
    ['$0 serve --port 8080 --latency 40 --fail-rate 0.1', 'a slow server that fails 1 request in 10'],
  ],
  epilog: ROUTES,
});
