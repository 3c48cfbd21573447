import yargs, { type MiddlewareFunction } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { DlpoolError } from '../errors.js';
import { EXIT } from '../report/summary.js';
import { VERSION } from '../version.js';
import { checkValues, type ParsedOptions } from './argv-checks.js';
import { keepGoingWithoutStdout } from './closed-stdout.js';
import { COMMANDS } from './commands/index.js';
import { cwdProblem } from './cwd.js';
import { reportError } from './report-error.js';
import { STDIN_TOKEN } from './stdin-token.js';
import { addCommands, applyDefaults, withExamples } from './to-yargs.js';
import { checkCommandName, commandOf, yargsMessage } from './usage.js';

/** yargs passes its instance to middleware and holds the options of the command it parses; its types say neither. */
interface WithOptions {
  getOptions(): ParsedOptions;
}

/** Runs the command line `argv` (without node and the script): every command, its checks, its exit code. */
export async function main(argv: string[]): Promise<void> {
  const cwd = cwdProblem();
  if (cwd !== undefined) {
    process.stderr.write(`dlpool: ${cwd}\n`);
    process.exitCode = EXIT.USAGE;
    return;
  }
  const tokens = argv.map((a) => (a === '-' ? STDIN_TOKEN : a));
  const command = commandOf(tokens);
  const width = Math.min(110, process.stdout.columns || 110);
  const parser = addCommands(
    yargs(tokens)
      .scriptName('dlpool')
      .version(VERSION)
      .usage('$0 [get] <URL | LIST | ->...  download URL lists concurrently'),
    COMMANDS,
    tokens,
  )
    .strict()
    .help()
    .alias('h', 'help')
    .alias('V', 'version')
    .wrap(width)
    .exitProcess(false)
    // Every value option got a value, every number is one (yargs drops the first and turns the second to NaN).
    .middleware((async (args: Record<string, unknown>, y: WithOptions) => {
      checkValues(args, tokens, y.getOptions());
      // Each value by its declaration's rules, before the config file (which checks its own lines); loaded here,
      // not at start: the rules bring the library's option code, which --version and --help do not need.
      (await import('./from-argv.js')).checkArgs(args, command.options);
      // get and worker (every get option) read the config file; loaded only for them.
      if (command.options.some((o) => o.flag === 'config')) (await import('./config.js')).applyConfig(args);
      // Last: a default is not a value given on the command line, which the config file could not override.
      applyDefaults(args, command.options);
    }) as unknown as MiddlewareFunction)
    .fail((msg, err) => {
      if (err) throw err;
      const opts = (parser as unknown as WithOptions).getOptions();
      throw new DlpoolError('ERR_DL_USAGE', yargsMessage(msg, command, opts, tokens));
    });
  try {
    checkCommandName(tokens);
    // yargs' own output (--help, --version) is handed here rather than printed: the examples go in after it wrapped.
    let output = '';
    await parser.parseAsync(tokens, {}, (_err, _args, text) => {
      output = text;
    });
    if (output !== '') process.stdout.write(`${withExamples(output, COMMANDS, width)}\n`);
  } catch (err) {
    reportError(err, tokens, command);
  }
}

/** bin/dlpool.js: the process's command line. */
export function cli(): Promise<void> {
  keepGoingWithoutStdout();
  return main(hideBin(process.argv));
}
