import { DlpoolError, redactUrl } from '../errors.js';
import type { EventListener, FileResult } from '../events.js';
import { expectedDigestProblem } from '../hash/algorithms.js';
import { requestProblem } from '../sources/entry-request.js';
import { checkUrl } from '../sources/list.js';
import type { ListEntry, SourceItem } from '../sources/types.js';
import type { JobOrResult } from './job.js';
import { type NameRegistry, relativeName, sanitizeSubdir, settledName } from './naming.js';
import type { OfferedNames } from './offered-names.js';

export interface JobsOptions {
  names: NameRegistry;
  /**
   * With --content-disposition the name is chosen from the response: nothing is claimed here, but the job
   * takes its turn among the names servers offer (claimed in list order).
   */
  offered?: OfferedNames | undefined;
  emit: EventListener;
  /** Told the number of items once every source is read. @default a 'listed' event */
  onListed?: ((count: number) => void) | undefined;
}

const NO_MIRRORS: readonly URL[] = Object.freeze([]);

function failed(
  item: { source: string; line: number },
  id: number,
  url: string,
  err: FileResult['error'],
): FileResult {
  return {
    id,
    url,
    source: item.source,
    line: item.line,
    path: undefined,
    status: 'failed',
    bytes: 0,
    attempts: 0,
    ms: 0,
    resumed: false,
    transferred: 0,
    error: err,
  };
}

/**
 * sources -> jobs: numbers each entry, claims its file name in list order (so collision suffixes are
 * deterministic), and turns bad list lines into failed results. Streams: one item in, at most one out.
 */
export async function* toJobs(
  items: AsyncIterable<SourceItem>,
  opts: JobsOptions,
): AsyncGenerator<JobOrResult> {
  let id = 0;
  for await (const item of items) {
    if (item.kind === 'warning') {
      opts.emit({ type: 'warning', message: item.message, source: item.source, line: item.line });
      continue;
    }
    id++;
    if (item.kind === 'error') {
      // An entry failed by one of its option lines: the result is the entry's; the message names that line.
      const message = `${item.source}:${item.optionLine ?? item.line}: ${item.message}`;
      const url = item.url === undefined ? item.text : redactUrl(item.url);
      yield { result: failed(item, id, url, { code: item.code, message }) };
      continue;
    }
    const checked = checkUrl(item.url);
    if (!checked.ok) {
      const message = `${item.source}:${item.line}: ${checked.message}`;
      yield { result: failed(item, id, redactUrl(item.url), { code: checked.code, message }) };
      continue;
    }
    const url = checked.url;
    // A list's checksum= lines were checked by the parser; the library's entries are checked here.
    const digestProblem = item.checksum && expectedDigestProblem(item.checksum.algorithm, item.checksum.hex);
    if (digestProblem) {
      const message = `${item.source}:${item.line}: checksum: ${digestProblem}`;
      yield { result: failed(item, id, redactUrl(item.url), { code: 'ERR_DL_LIST_LINE', message }) };
      continue;
    }
    // So were its request settings (header=, timeout=, ...).
    const requestTrouble = requestProblem(item);
    if (requestTrouble) {
      const message = `${item.source}:${item.line}: ${requestTrouble}`;
      yield { result: failed(item, id, redactUrl(item.url), { code: 'ERR_DL_LIST_LINE', message }) };
      continue;
    }
    // Mirrors from a list were checked by the parser; the library's entries are checked here.
    let mirrors: readonly URL[] = NO_MIRRORS;
    if (item.mirrors !== undefined && item.mirrors.length > 0) {
      const urls: URL[] = [];
      for (const m of item.mirrors) {
        const c = checkUrl(m);
        if (!c.ok) {
          const message = `${item.source}:${item.line}: mirror: ${c.message}`;
          yield { result: failed(item, id, redactUrl(item.url), { code: c.code, message }) };
          break;
        }
        urls.push(c.url);
      }
      if (urls.length !== item.mirrors.length) continue;
      mirrors = urls;
    }
    let rel: string | undefined;
    try {
      const given = item.settledName === undefined ? undefined : settledName(item.settledName);
      if (!opts.offered || item.out !== undefined) {
        rel = opts.names.claim(given ?? relativeName({ url, out: item.out, dir: item.dir }));
      } else if (item.dir) {
        // The name comes later, from the response; a bad dir= is still an error of this list line.
        sanitizeSubdir(item.dir);
      }
    } catch (err) {
      const e = err instanceof DlpoolError ? err : new DlpoolError('ERR_DL_UNSAFE_NAME', String(err));
      const message = `${item.source}:${item.line}: ${e.message}`;
      yield { result: failed(item, id, redactUrl(item.url), { code: e.code, message }) };
      continue;
    }
    if (rel === undefined) opts.offered?.expect(id);
    yield {
      job: {
        id,
        url,
        displayUrl: redactUrl(url.href),
        mirrors,
        source: item.source,
        line: item.line,
        entry: item,
        rel,
        host: url.host,
      },
    };
  }
  // Every source is read: the total is known (progress shows it from now on).
  if (opts.onListed) opts.onListed(id);
  else opts.emit({ type: 'listed', count: id });
}

/** Library input: plain URL strings become entries as if they were given on the command line. */
export async function* entriesFrom(
  input: Iterable<string | ListEntry> | AsyncIterable<string | ListEntry>,
): AsyncGenerator<SourceItem> {
  let n = 0;
  for await (const e of input) {
    n++;
    yield typeof e === 'string' ? { kind: 'entry', url: e, source: 'entries', line: n, options: {} } : e;
  }
}
