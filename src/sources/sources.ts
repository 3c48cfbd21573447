import type { FileHandle } from 'node:fs/promises';
import fsp from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { DlpoolError, errnoOf, redactUrl } from '../errors.js';
import { checkUrl, parseList } from './list.js';
import type { SourceItem } from './types.js';

const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i;

type Source =
  | { kind: 'url'; text: string; position: number }
  | { kind: 'file'; path: string; handle: FileHandle }
  | { kind: 'stdin' };

async function openList(file: string): Promise<FileHandle> {
  let handle: FileHandle | undefined;
  try {
    handle = await fsp.open(file, 'r');
    if ((await handle.stat()).isDirectory())
      throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    return handle;
  } catch (err) {
    await handle?.close().catch(() => {});
    const reason = errnoOf(err) ?? (err instanceof Error ? err.message : String(err));
    throw new DlpoolError('ERR_DL_INPUT', `cannot read list '${file}': ${reason}`, { cause: err });
  }
}

/**
 * Opens every source up front, so a missing list file fails the run (ERR_DL_INPUT, exit 2) before anything
 * downloads; then yields their items in order, each file streamed. `-` is stdin, allowed once.
 */
export async function openSources(
  sources: string[],
  opts: { stdin?: Readable } = {},
): Promise<AsyncIterable<SourceItem>> {
  const opened: Source[] = [];
  let stdinSeen = false;
  try {
    for (const [i, s] of sources.entries()) {
      if (s === '-') {
        if (stdinSeen) throw new DlpoolError('ERR_DL_USAGE', "sources: '-' (stdin) given more than once");
        if (!opts.stdin) throw new DlpoolError('ERR_DL_USAGE', "sources: '-' given but no stdin stream");
        stdinSeen = true;
        opened.push({ kind: 'stdin' });
      } else if (URL_LIKE.test(s)) opened.push({ kind: 'url', text: s, position: i + 1 });
      else opened.push({ kind: 'file', path: s, handle: await openList(s) });
    }
  } catch (err) {
    await Promise.all(opened.map((o) => (o.kind === 'file' ? o.handle.close().catch(() => {}) : undefined)));
    throw err;
  }
  return iterate(opened, opts.stdin);
}

async function* iterate(opened: Source[], stdin: Readable | undefined): AsyncGenerator<SourceItem> {
  try {
    for (const s of opened) {
      if (s.kind === 'url') {
        const checked = checkUrl(s.text);
        yield checked.ok
          ? { kind: 'entry', url: s.text, source: 'argv', line: s.position, options: {} }
          : {
              kind: 'error',
              source: 'argv',
              line: s.position,
              text: redactUrl(s.text),
              code: checked.code,
              message: checked.message,
            };
      } else if (s.kind === 'stdin') {
        yield* parseList(stdin!, '-');
      } else {
        const stream = s.handle.createReadStream({ encoding: 'utf8', autoClose: false });
        try {
          yield* parseList(stream, s.path);
        } finally {
          stream.destroy();
        }
      }
    }
  } finally {
    await Promise.all(opened.map((o) => (o.kind === 'file' ? o.handle.close().catch(() => {}) : undefined)));
  }
}
