import yargs, { type MiddlewareFunction } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { DlpoolError } from '../errors.js';
import { EXIT } from '../report/summary.js';
import { VERSION } from '../version.js';
import { checkValues, type ParsedOptions } from './argv-checks.js';
import { COMMANDS } from './commands/index.js';
import { cwdProblem } from './cwd.js';
import { safeLines, safeText } from './render/safe-text.js';
import { STDIN_TOKEN } from './stdin-token.js';
import { addCommands, applyDefaults } from './to-yargs.js';
import { asTyped, checkCommandName, commandOf, tryHelp, yargsMessage } from './usage.js';

/** yargs passes its instance to middleware and holds the options of the command it parses; its types say neither. */
interface WithOptions {
  getOptions(): ParsedOptions;
}

export async function main(argv: string[]): Promise<void> {
  const cwd = cwdProblem();
  if (cwd !== undefined) {
    process.stderr.write(`dlpool: ${cwd}\n`);
    process.exitCode = EXIT.USAGE;
    return;
  }
  const tokens = argv.map((a) => (a === '-' ? STDIN_TOKEN : a));
  const command = commandOf(tokens);
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
    .wrap(Math.min(110, process.stdout.columns || 110))
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
    await parser.parseAsync();
  } catch (err) {
    if (
      err instanceof DlpoolError &&
      (err.code === 'ERR_DL_USAGE' || err.code === 'ERR_DL_INPUT' || err.code === 'ERR_DL_REDIS')
    ) {
      const usage = err.code === 'ERR_DL_USAGE';
      const message = usage ? asTyped(err.message, tokens, command) : err.message;
      process.stderr.write(`${safeText(`dlpool: ${message}`)}\n`);
      if (usage) process.stderr.write(`${tryHelp(command)}\n`);
      process.exitCode = EXIT.USAGE;
      return;
    }
    process.stderr.write(
      `${safeLines(`dlpool: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`)}\n`,
    );
    process.exitCode = EXIT.FAILED;
  }
}

/**
 * A standard output that goes away (`dlpool LIST | head -2`, a closed terminal) is not the job failing: the
 * files are the job. Later writes to it are dropped, the run goes on, and the exit code reports the work as if
 * the output had been read. Any other error writing it is said once on stderr, then handled the same way.
 */
export function keepGoingWithoutStdout(stdout: NodeJS.WriteStream = process.stdout): void {
  let gone = false;
  stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (gone) return;
    gone = true;
    if (err.code !== 'EPIPE')
      process.stderr.write(`dlpool: cannot write to standard output: ${err.code ?? err.message}\n`);
    // Every writer in the CLI uses stdout.write: after the first failure it writes nowhere.
    stdout.write = (() => true) as typeof stdout.write;
  });
}

export function cli(): Promise<void> {
  keepGoingWithoutStdout();
  return main(hideBin(process.argv));
}
