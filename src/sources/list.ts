import type { Readable } from 'node:stream';
import { DlpoolError, redactText } from '../errors.js';
import { reasonOf } from '../errno-text.js';
import { applyOption } from './entry-options.js';
import { shownOptionLine } from './entry-request.js';
import { shownText } from './shown-text.js';
import { capLines, linesOf, MAX_LINE_LENGTH } from '../common/lines.js';
import type { ListEntry, ListLineError, ListWarning, SourceItem } from './types.js';

/** Part of a list read from a byte offset: the number of its first line, and the first line after it. */
export interface LineRange {
  firstLine: number;
  endLine: number;
}

/** How parseList reads: a range of the list, and the option names a run has already warned about. */
export interface ParseOptions extends Partial<LineRange> {
  /** aria2 option names already warned about in this run: their warnings are not yielded again (and are added). */
  warned?: Set<string> | undefined;
}

export type UrlCheck =
  | { ok: true; url: URL }
  | { ok: false; code: 'ERR_DL_LIST_LINE' | 'ERR_DL_UNSUPPORTED_SCHEME'; message: string };

/**
 * Is `text` a URL dlpool can download? Messages quote `context` (the URL itself, or the whole list line it
 * came from: a password holding a tab is cut in two there, and only the whole line shows where it ends)
 * without credentials.
 */
export function checkUrl(text: string, context: string = text): UrlCheck {
  const t = text.trim();
  let url: URL;
  try {
    url = new URL(t);
  } catch {
    return { ok: false, code: 'ERR_DL_LIST_LINE', message: `not a valid URL: ${shownText(context)}` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    const scheme = url.protocol.length > 20 ? `${url.protocol.slice(0, 17)}...` : url.protocol;
    return {
      ok: false,
      code: 'ERR_DL_UNSUPPORTED_SCHEME',
      message: `unsupported scheme '${scheme}' (only http: and https:): ${shownText(context)}`,
    };
  }
  return { ok: true, url };
}

/**
 * The URLs of a URL line: a URL ends at whitespace (a raw space is never part of one); more URLs after it are
 * mirrors of the same file (aria2 separates them with tabs); a word starting with `#` starts a comment.
 */
export function urlWords(line: string): string[] {
  const words = line.split(/[ \t]+/).filter((w) => w !== '');
  const comment = words.findIndex((w) => w.startsWith('#'));
  return comment < 0 ? words : words.slice(0, comment);
}

/**
 * Why a line (URL or option) cannot be used at all, or undefined. Shared with argv URLs.
 * @internal
 */
export function lineProblem(line: string): string | undefined {
  if (line.length > MAX_LINE_LENGTH) return `line too long (more than ${MAX_LINE_LENGTH} characters)`;
  // Tab separates aria2 mirror URIs; anything else below U+0020 (and DEL, C1) means this is not a text list.
  if (/[\x00-\x08\x0a-\x1f\x7f-\x9f]/.test(line))
    return 'line contains control characters (not a text list?)';
  if (line.includes('\uFFFD')) return 'line is not valid UTF-8 text';
  return undefined;
}

function lineError(
  source: string,
  line: number,
  text: string,
  message: string,
  code: ListLineError['code'] = 'ERR_DL_LIST_LINE',
): ListLineError {
  return { kind: 'error', source, line, text: shownText(text), code, message };
}

/**
 * Reads a URL list (one URL per line, aria2 input-file format accepted) and yields one item per URL or bad line.
 *
 * - `#` lines and blank lines are skipped; a UTF-8 BOM and CRLF line ends are fine.
 * - Indented lines are aria2 options (`out=`, `dir=`, `checksum=TYPE=HEX`, ...) for the URL above; an entry is
 *   yielded once its option lines are read (at the next URL line or the end).
 * - A bad option line fails its entry as a whole: a ListLineError at the entry's line, naming the first bad
 *   option line (`optionLine`), is yielded instead of the entry. A bad URL line is yielded as soon as it is read,
 *   and so is a warning (before the entry it belongs to).
 *
 * - With `range` (a shard read from its byte offset), lines are numbered from `range.firstLine`, and the read
 *   ends at the first URL line numbered `range.endLine` or later. With `range.warned`, a warning about an aria2
 *   option is yielded only for the first line of the run that has it.
 *
 * Streams: lines are read one at a time, and only the first ~24 KiB of an over-long line are held.
 * `input` is a byte or text stream, or any async iterable of text chunks (include the newlines).
 * A read error becomes DlpoolError ERR_DL_INPUT. Stopping early destroys `input`.
 */
export async function* parseList(
  input: Readable | AsyncIterable<string>,
  source: string,
  range?: ParseOptions,
): AsyncGenerator<SourceItem> {
  const lines = linesOf(capLines(input));
  let current: ListEntry | undefined;
  // The first bad option line of `current`, which then fails as a whole.
  let failure: ListLineError | undefined;
  // Option lines under a URL that was already reported as bad are skipped quietly.
  let afterBadUrl = false;
  const firstLine = range?.firstLine ?? 1;
  const endLine = range?.endLine ?? Infinity;
  const warned = range?.warned;
  const warning = (line: number, w: { warning: string; option: string }): ListWarning | undefined => {
    if (warned?.has(w.option)) return undefined;
    warned?.add(w.option);
    return { kind: 'warning', source, line, message: w.warning, option: w.option };
  };
  // A range starts after some other entry's URL line: its leading option lines are that entry's. They are
  // checked against a stand-in, and their errors and warnings are this range's (as a read of the whole list
  // assigns them by line); the previous range's read applies them to the entry.
  let leading: ListEntry | undefined =
    firstLine > 1 ? { kind: 'entry', url: '', source, line: firstLine - 1, options: {} } : undefined;
  let n = firstLine - 1;
  try {
    for await (const raw of each(lines)) {
      n++;
      const line = n === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
      const trimmed = line.trim();
      if (trimmed === '' || trimmed.startsWith('#')) continue;
      const problem = lineProblem(line);

      if (line[0] !== ' ' && line[0] !== '\t') {
        if (current) yield failure ?? current;
        current = undefined;
        failure = undefined;
        leading = undefined;
        // The next range's first URL line: this range's last entry is complete.
        if (n >= endLine) return;
        afterBadUrl = true;
        if (problem) {
          yield lineError(source, n, trimmed, problem);
          continue;
        }
        const [first = '', ...mirrors] = urlWords(trimmed);
        const checked = checkUrl(first, trimmed);
        if (!checked.ok) {
          yield lineError(source, n, trimmed, checked.message, checked.code);
          continue;
        }
        // A word after the URL that is not one either: most likely a URL with a raw space, which would be
        // fetched cut short. Said, not guessed.
        const stray = mirrors.find((m) => !checkUrl(m, trimmed).ok);
        const strayCheck = stray === undefined ? undefined : checkUrl(stray, trimmed);
        if (strayCheck && !strayCheck.ok && /^[a-z][a-z0-9+.-]*:\/\//i.test(stray!)) {
          // A mirror that is a URL dlpool cannot fetch (ftp:, a bad host): the line is wrong as a whole.
          yield lineError(source, n, trimmed, `mirror: ${strayCheck.message}`, strayCheck.code);
          continue;
        }
        if (stray !== undefined) {
          const shown = stray.length > 40 ? `${stray.slice(0, 37)}...` : stray;
          yield lineError(
            source,
            n,
            trimmed,
            `'${shownText(shown)}' after the URL is neither a URL nor a # comment (write a space in a URL as %20)`,
          );
          continue;
        }
        afterBadUrl = false;
        current = { kind: 'entry', url: first.trim(), source, line: n, options: {} };
        if (mirrors.length > 0) current.mirrors = mirrors;
        continue;
      }

      if (leading) {
        if (n >= endLine) continue;
        // A bad one fails the previous range's entry, which that range's read reports.
        const result = problem ?? applyOption(leading, trimmed);
        const said = result !== undefined && typeof result !== 'string' ? warning(n, result) : undefined;
        if (said) yield said;
        continue;
      }
      if (afterBadUrl) continue;
      if (!current) {
        yield lineError(source, n, trimmed, 'aria2 option line before any URL (indented lines are options)');
        continue;
      }
      const result = problem ?? applyOption(current, trimmed);
      if (typeof result === 'string') {
        failure ??= {
          ...lineError(source, current.line, shownOptionLine(trimmed), result),
          optionLine: n,
          url: redactText(current.url),
        };
        continue;
      }
      // Past the range's end, its warnings are the next range's (whose read reports them).
      if (n >= endLine) continue;
      const said = result && warning(n, result);
      if (said) yield said;
    }
    if (current) yield failure ?? current;
  } catch (err) {
    if (err instanceof DlpoolError) throw err;
    const what = source === '-' ? 'stdin' : `list '${source}'`;
    throw new DlpoolError('ERR_DL_INPUT', `cannot read ${what}: ${reasonOf(err)}`, { cause: err });
  } finally {
    await lines.return(undefined);
  }
}

/** The lines of each batch, one at a time, without an await per line. */
function* eachSync(batch: string[]): Generator<string> {
  yield* batch;
}
async function* each(batches: AsyncIterable<string[]>): AsyncGenerator<string> {
  for await (const batch of batches) yield* eachSync(batch);
}
