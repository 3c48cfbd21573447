import { ROUTES } from '../../server/routes.js';
import { type ArgsOf, defineCommand, type OptionSpec, type PositionalSpec } from '../command.js';

const positionals = [] as const satisfies readonly PositionalSpec[];

const options = [
  {
    flag: 'root',
    kind: 'string',
    value: 'DIR',
    default: '',
    help: 'serve files under this directory instead of /gen/',
  },
  {
    flag: 'dotfiles',
    kind: 'boolean',
    default: 'off',
    help: 'with --root, also serve hidden files (.env, .git/)',
  },
  { flag: 'port', kind: 'number', value: 'N', default: '0', help: 'port, 0 for any free one' },
  { flag: 'host', kind: 'string', value: 'ADDR', default: '127.0.0.1', help: 'address to listen on' },
  {
    flag: 'latency',
    kind: 'number',
    value: 'MS',
    default: '0',
    help: 'milliseconds to hold back every response',
  },
  {
    flag: 'rate',
    kind: 'string',
    value: 'BYTES',
    default: 'unlimited',
    help: 'pace each connection at BYTES per second, e.g. 10M',
  },
  {
    flag: 'fail-rate',
    kind: 'number',
    value: 'P',
    default: '0',
    help: 'share of requests answered 503 + Retry-After: 1',
  },
  { flag: 'drop-rate', kind: 'number', value: 'P', default: '0', help: 'share of bodies cut half-way' },
  {
    flag: 'seed',
    kind: 'number',
    value: 'N',
    default: '1',
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
  run: async (a) => (await import('../serve.js')).runServe(a),
});
