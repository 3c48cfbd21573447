import type { FileHandle } from 'node:fs/promises';
import fsp from 'node:fs/promises';
import { Readable } from 'node:stream';
import { DlpoolError, UsageError } from '../errors.js';
import { reasonOf } from '../errno-text.js';
import { checkUrl, type LineRange, lineProblem, parseList, type ParseOptions } from './list.js';
import { shownText } from './shown-text.js';
import type { SourceItem } from './types.js';

/** An argument that looks like `scheme://...` is a URL; anything else (but `-`) is a list file. */
export const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i;

type Source =
  | { kind: 'url'; text: string; position: number }
  | { kind: 'stdin'; stream: Readable }
  | { kind: 'file'; path: string; handle: FileHandle }
  | { kind: 'bytes'; path: string; bytes: Uint8Array };

/** The items of all sources, in order. `close()` releases open list files when the items are never read. */
export interface SourceList extends AsyncIterable<SourceItem> {
  close(): Promise<void>;
}

export interface OpenSourcesOptions {
  /** Stream read for the source `-` (the library reads none of its own: `-` without it is ERR_DL_USAGE). */
  stdin?: Readable | undefined;
  /**
   * Read list files from this byte offset, numbering lines from `firstLine` up to `endLine` (a shard); with
   * `bytes`, the shard as already read: those are parsed and the file is not opened.
   */
  range?: (LineRange & { offset: number; bytes?: Uint8Array | undefined }) | undefined;
  /** The run's interrupt: the items end there, the list being read destroyed (stdin included). */
  signal?: AbortSignal | undefined;
}

/**
 * Opens every source up front, so a missing or unreadable list file fails the run (ERR_DL_INPUT) before anything
 * downloads; then yields their items in order, each file streamed. Sources are URLs (`source: 'argv'`,
 * `line`: the argument's 1-based position), `-` for stdin (at most once: ERR_DL_USAGE), or list file paths.
 * The list can be iterated once; files are closed when it ends, when the consumer stops early, or on `close()`.
 */
export async function openSources(
  sources: readonly string[],
  opts: OpenSourcesOptions = {},
): Promise<SourceList> {
  if (sources.filter((s) => s === '-').length > 1) {
    throw new UsageError("sources: '-' (stdin) can be given only once");
  }
  const opened: Source[] = [];
  try {
    for (const [i, s] of sources.entries()) {
      if (s === '-') {
        if (!opts.stdin) throw new UsageError("sources: '-' reads stdin: give the stream as options.stdin");
        opened.push({ kind: 'stdin', stream: opts.stdin });
      } else if (URL_LIKE.test(s.trim())) opened.push({ kind: 'url', text: s, position: i + 1 });
      else if (opts.range?.bytes) opened.push({ kind: 'bytes', path: s, bytes: opts.range.bytes });
      else opened.push({ kind: 'file', path: s, handle: await openList(s) });
    }
  } catch (err) {
    await closeFiles(opened);
    throw err;
  }
  const items = iterate(opened, opts.range, opts.signal);
  return {
    [Symbol.asyncIterator]: () => items,
    async close() {
      // Not awaited: a consumer may be waiting inside (on stdin); the generator finishes on its next step.
      items.return(undefined).catch(() => {});
      await closeFiles(opened);
    },
  };
}

async function openList(file: string): Promise<FileHandle> {
  let handle: FileHandle | undefined;
  try {
    handle = await fsp.open(file, 'r');
    // open(2) succeeds on a directory; reading it would fail only later, mid-run.
    if ((await handle.stat()).isDirectory()) {
      throw Object.assign(new Error('EISDIR: illegal operation on a directory'), { code: 'EISDIR' });
    }
    return handle;
  } catch (err) {
    await handle?.close().catch(() => {});
    const reason = reasonOf(err);
    const hint =
      errCode(err) === 'ENOENT' && /^[\w-]+(\.[\w-]+)+(:\d+)?\//.test(file)
        ? ' (a URL needs its scheme: http:// or https://)'
        : '';
    throw new DlpoolError('ERR_DL_INPUT', `cannot read list '${file}': ${reason}${hint}`, { cause: err });
  }
}

function errCode(err: unknown): unknown {
  return err && typeof err === 'object' && 'code' in err ? err.code : undefined;
}

async function closeFiles(opened: Source[]): Promise<void> {
  // FileHandle.close() is a no-op on a closed handle and waits for reads in flight.
  await Promise.all(opened.map((s) => (s.kind === 'file' ? s.handle.close().catch(() => {}) : undefined)));
}

function argvItem(text: string, position: number): SourceItem {
  const problem = lineProblem(text);
  const checked = problem === undefined ? checkUrl(text) : undefined;
  if (checked?.ok) return { kind: 'entry', url: text.trim(), source: 'argv', line: position, options: {} };
  return {
    kind: 'error',
    source: 'argv',
    line: position,
    text: shownText(text),
    code: checked?.code ?? 'ERR_DL_LIST_LINE',
    message: checked?.message ?? problem ?? 'not a valid URL',
  };
}

async function* iterate(
  opened: Source[],
  range: OpenSourcesOptions['range'],
  signal: AbortSignal | undefined,
): AsyncGenerator<SourceItem> {
  // An aria2 option is warned about at its first line of the run: a list with `split=4` under each of a million
  // entries says so once.
  const warned = new Set<string>();
  try {
    for (const s of opened) {
      if (signal?.aborted) return;
      if (s.kind === 'url') {
        yield argvItem(s.text, s.position);
      } else if (s.kind === 'stdin') {
        yield* readList(s.stream, '-', { warned }, signal);
      } else if (s.kind === 'bytes') {
        yield* parseList(Readable.from([s.bytes]), s.path, { ...range, warned });
      } else {
        // Bytes, not text: parseList decodes, and caps over-long lines before they are decoded.
        const stream = s.handle.createReadStream({ autoClose: false, start: range?.offset ?? 0 });
        try {
          yield* readList(stream, s.path, { ...range, warned }, signal);
        } finally {
          stream.destroy();
          await s.handle.close().catch(() => {});
        }
      }
    }
  } finally {
    await closeFiles(opened);
  }
}

/**
 * parseList until the run is interrupted: then `stream` is destroyed and the items end quietly. The scheduler
 * waits for the next item, and a read that waits for stdin or reads a file without end (/dev/zero) would
 * otherwise never give it one: the first Ctrl-C would go unheard.
 */
async function* readList(
  stream: Readable,
  source: string,
  range: ParseOptions,
  signal: AbortSignal | undefined,
): AsyncGenerator<SourceItem> {
  if (signal === undefined) return yield* parseList(stream, source, range);
  const stop = () => stream.destroy();
  signal.addEventListener('abort', stop, { once: true });
  try {
    yield* parseList(stream, source, range);
  } catch (err) {
    if (!signal.aborted) throw err;
  } finally {
    signal.removeEventListener('abort', stop);
  }
}
