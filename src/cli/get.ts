import path from 'node:path';
import { download } from '../download.js';
import { UsageError } from '../errors.js';
import { DEFAULTS, type DownloadOptions } from '../options.js';
import { EXIT, exitCodeFor } from '../report/summary.js';
import { shownText } from '../sources/shown-text.js';
import { URL_LIKE } from '../sources/sources.js';
import { GET_OPTIONS } from './commands/get-options.js';
import { libraryOptions } from './from-argv.js';
import { JsonRenderer } from './render/json.js';
import { PlainRenderer } from './render/plain.js';
import type { Output, Renderer } from './render/renderer.js';
import { safeText } from './render/safe-text.js';
import { verboseWriter } from './render/verbose.js';
import { type Interrupt, onInterrupt } from './signals.js';
import { afterDoubleDash, STDIN_TOKEN } from './stdin-token.js';
import type { GetArgs } from './commands/get-options.js';

export type { GetArgs };

/** argv -> the library's options. Defaults live in normalizeOptions(), not here. */
export function toDownloadOptions(a: GetArgs, needSources = true): DownloadOptions {
  const lists = a['input-file'] === undefined ? [] : ([] as string[]).concat(a['input-file']);
  const sources = [...lists, ...(a.sources ?? []), ...afterDoubleDash(a._, 'get')].map((s) =>
    s === STDIN_TOKEN ? '-' : s,
  );
  // wget -c and aria2c -c mean "continue": the URL after it is a download, not a checksum file. Said before
  // the missing sources, which that -c took.
  if (a.checksums !== undefined && URL_LIKE.test(a.checksums.trim())) {
    throw new UsageError(
      `-c (--checksums) takes a checksum file, not a URL: ${shownText(a.checksums)}. To continue ` +
        'downloads as wget -c and aria2c -c do, leave -c out: dlpool resumes .part files and skips complete ' +
        'ones by default',
    );
  }
  // curl's `-b jar -c jar`: here -c is the checksum file; the cookie jar has no short name.
  if (a.checksums !== undefined && a.checksums === a.cookie) {
    throw new UsageError(
      `-c (--checksums) takes a checksum file, not a cookie jar: to write cookies as curl -c does, use --cookie-jar ${shownText(a.checksums)}`,
    );
  }
  if (sources.length === 0 && needSources) {
    throw new UsageError('sources: give at least one URL, list file, or - for stdin');
  }
  // The renderers take each result from its event; holding them all would grow with the list.
  const o: DownloadOptions = {
    sources,
    stdin: process.stdin,
    env: process.env,
    keepResults: false,
    ...libraryOptions(GET_OPTIONS, a),
  };
  // -o - and --cookie-jar - (as curl's -o - and -c -) write to stdout.
  if (a.output === '-' || a['cookie-jar'] === '-') {
    if (a.output === '-' && a['cookie-jar'] === '-') {
      throw new UsageError(
        '--cookie-jar: - writes the cookies to stdout, where -o - writes the body: give one of them',
      );
    }
    o.stdout = process.stdout;
  }
  return o;
}

/** What a run writes to stdout instead of its lines, which then go to stderr: `-o -` the body, `--cookie-jar -` the cookies. */
function stdoutTakenBy(a: GetArgs): string | undefined {
  return a.output === '-'
    ? '-o - writes the body'
    : a['cookie-jar'] === '-'
      ? '--cookie-jar - writes the cookies'
      : undefined;
}

async function pickRenderer(a: GetArgs, io: Output): Promise<Renderer | undefined> {
  const quiet = a.quiet ?? false;
  if (a.json) {
    const taken = stdoutTakenBy(a);
    if (taken) throw new UsageError(`--json: prints on stdout, where ${taken}: give one of them`);
    return new JsonRenderer(io, quiet);
  }
  const mode = a.progress ?? 'auto';
  // Failure lines name the file where it was going: -o's folder, as typed.
  const out = a.output;
  const dir =
    out === undefined
      ? (a.dir ?? '')
      : path.dirname(path.isAbsolute(out) ? out : path.join(a.dir ?? '', out));
  const spider = a.spider ?? false;
  if (mode === 'none') return new PlainRenderer(io, quiet, false, dir, spider);
  const terminal = Boolean((process.stderr as { isTTY?: boolean }).isTTY);
  const tty = terminal && !process.env['CI'];
  // Bars need a terminal: on a pipe cli-progress draws nothing and held back the result lines, so even
  // `--progress bars` prints plain lines there. -v's lines would tear bars apart: plain lines then, as curl -v
  // drops its progress meter.
  if (!a.verbose && ((mode === 'bars' && terminal) || (mode === 'auto' && tty))) {
    // cli-progress is loaded only when bars are drawn: startup time counts on small lists.
    const { BarsRenderer } = await import('./render/bars.js');
    return new BarsRenderer(io, quiet, dir, spider);
  }
  return new PlainRenderer(io, quiet, true, dir, spider);
}

/**
 * `dlpool get`: run the download, render it, map the outcome to the exit code. `given`: the signal policy of a
 * command that runs get inside it (demo), else get's own.
 */
export async function runGet(a: GetArgs, given?: Interrupt): Promise<void> {
  if (a['print-config']) {
    process.stdout.write((await import('./config.js')).formatConfig(a));
    return;
  }
  const options = toDownloadOptions(a);
  // -o -: stdout carries the body and nothing else, --cookie-jar - the cookies; every line goes to stderr.
  const toStdout = options.output === '-';
  const io: Output = { out: stdoutTakenBy(a) ? process.stderr : process.stdout, err: process.stderr };
  const renderer = await pickRenderer(a, io);
  const verbose = a.verbose
    ? verboseWriter(io.err, (options.concurrency ?? DEFAULTS.concurrency) > 1)
    : undefined;
  // A reader that stopped reading the body (`| head -c 10`) ends the run as SIGPIPE would, without a word.
  let pipeClosed = false;
  // A second signal leaves a clean terminal behind: the bars are stopped first.
  const interrupt = given ?? onInterrupt();
  interrupt.beforeExit(() => renderer?.stop());
  try {
    const summary = await download({
      ...options,
      signal: interrupt.signal,
      onEvent: (e) => {
        if (e.type === 'headers') verbose?.(e);
        else if (toStdout && e.type === 'result' && e.result.error?.errno === 'EPIPE') pipeClosed = true;
        else if (!pipeClosed) renderer?.onEvent(e);
      },
    });
    if (pipeClosed) {
      renderer?.stop();
      process.exitCode = EXIT.PIPE;
      return;
    }
    renderer?.finish(summary);
    // -c was given, yet some files were not checked against it: said, not silently passed.
    if (options.checksums !== undefined && summary.unverified > 0 && !a.json) {
      const n = summary.unverified;
      process.stderr.write(
        `${safeText(
          `dlpool: warning: ${n} file${n === 1 ? '' : 's'} had no entry in ${options.checksums} and ` +
            `${n === 1 ? 'was' : 'were'} not verified (--require-checksum fails them instead)`,
        )}\n`,
      );
    }
    process.exitCode = exitCodeFor(summary);
  } catch (err) {
    renderer?.stop();
    throw err;
  } finally {
    if (given === undefined) interrupt.close();
  }
}
