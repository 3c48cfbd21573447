import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DlpoolError, UsageError } from '../errors.js';
import type { FileResult } from '../events.js';
import type { JobOrResult } from '../jobs/job.js';
import { resultJson } from '../report/result-json.js';
import { manifestLine } from '../verify/checksums.js';
import type { ShardOptions } from '../options.js';

/**
 * Shards: a list cut by line number into runs of `size` lines (shard K holds lines K*size+1 .. (K+1)*size; an
 * entry belongs to the shard of its URL line). `--shard I/N` takes the shards K with K mod N = I, so N processes
 * or machines share a list with no coordination. Each shard a run finishes leaves, under DIR/.dlpool/shards/,
 * K.jsonl (its results as --json writes them, in list order), K.sums (its files' digests, sha256sum format)
 * and K.done last; a rerun skips a shard whose K.done is there for the same entries.
 */

/** `I/N` (0 <= I < N), as --shard takes it. */
export function parseShardSpec(text: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || !(count >= 1) || !(index < count)) {
    throw new UsageError(`shard: expected I/N with 0 <= I < N (such as 0/4), got '${text}'`);
  }
  return { index, count };
}

export function shardOf(line: number, size: number): number {
  return Math.floor((line - 1) / size);
}

/** What a finished shard's K.done says. */
export interface ShardMarker {
  shard: number;
  /** Shards in the whole list (so a merge knows whether any is missing). */
  of: number;
  /** sha256 of the shard's entries (line, URL, options): a list edited there is another shard. */
  entries: string;
  count: number;
  downloaded: number;
  skipped: number;
  failed: number;
}

interface Open {
  hash: string;
  expected: number;
  results: FileResult[];
  /** A download of it was interrupted: the shard is not finished, whatever its count says. */
  cut: boolean;
}

/** The shard files of one output directory: markers read, results gathered, finished shards written. */
export class ShardStore {
  readonly dir: string;
  readonly #open = new Map<number, Open>();
  /** Markers of the shards this run finished, written once the list's shard count is known. */
  readonly #finished: ShardMarker[] = [];
  #of: number | undefined;
  /** Shards this run took (finished or not), and shards skipped because an earlier run finished them. */
  taken = 0;
  skipped = 0;

  constructor(
    outDir: string,
    readonly options: ShardOptions,
  ) {
    this.dir = path.join(outDir, '.dlpool', 'shards');
    // dlpool's own folders: made here, and never through a link someone put in their place.
    for (const d of [path.join(outDir, '.dlpool'), this.dir]) {
      fs.mkdirSync(d, { recursive: true });
      if (!fs.lstatSync(d).isDirectory()) {
        throw new DlpoolError(
          'ERR_DL_UNSAFE_NAME',
          `'${d}' is not a directory; dlpool keeps its shard files there`,
        );
      }
    }
  }

  mine(shard: number): boolean {
    return shard % this.options.count === this.options.index;
  }

  marker(shard: number): ShardMarker | undefined {
    try {
      return JSON.parse(fs.readFileSync(path.join(this.dir, `${shard}.done`), 'utf8')) as ShardMarker;
    } catch {
      return undefined;
    }
  }

  /** Starts gathering shard `shard`'s `expected` results. */
  begin(shard: number, hash: string, expected: number): void {
    this.taken++;
    this.#open.set(shard, { hash, expected, results: [], cut: false });
  }

  /** A shard of ours with no entries at all (only comments, or past the list's end): finished as it is. */
  empty(shard: number): void {
    if (this.marker(shard)?.count === 0) return;
    this.#write(shard, { hash: createHash('sha256').digest('hex'), expected: 0, results: [], cut: false });
  }

  /** A result of this run; its shard is written when its last result is in and the list's end is known. */
  add(r: FileResult): void {
    const shard = shardOf(r.line, this.options.size);
    const open = this.#open.get(shard);
    if (open === undefined) return;
    open.results.push(r);
    if (r.error?.code === 'ERR_DL_ABORTED') open.cut = true;
    if (open.results.length === open.expected) {
      this.#open.delete(shard);
      // An interrupted shard leaves nothing: a later run (or another worker) does it again from what is on disk.
      if (!open.cut) this.#write(shard, open);
    }
  }

  /** Every shard of the list is known: `of` shards. Markers of shards finished before now are written. */
  listEnded(of: number): void {
    this.#of = of;
    for (const m of this.#finished.splice(0)) this.#mark({ ...m, of });
  }

  #write(shard: number, open: Open): void {
    const results = open.results.sort((a, b) => a.line - b.line);
    const lines = results.map((r) => `${JSON.stringify(resultJson(r))}\n`).join('');
    const sums = results
      .filter((r) => r.digest !== undefined && r.path !== undefined && r.status !== 'failed')
      .map((r) => manifestLine(r.digest!.hex, r.path!))
      .join('');
    this.#replace(`${shard}.jsonl`, lines);
    this.#replace(`${shard}.sums`, sums);
    const count = (s: FileResult['status']) => results.filter((r) => r.status === s).length;
    const marker: ShardMarker = {
      shard,
      of: this.#of ?? -1,
      entries: open.hash,
      count: results.length,
      downloaded: count('downloaded'),
      skipped: count('skipped'),
      failed: count('failed'),
    };
    if (this.#of === undefined) this.#finished.push(marker);
    else this.#mark(marker);
  }

  #mark(m: ShardMarker): void {
    this.#replace(`${m.shard}.done`, `${JSON.stringify(m)}\n`);
  }

  /** Written whole under a temporary name, then renamed: a shard file is complete or absent. */
  #replace(name: string, text: string): void {
    const p = path.join(this.dir, name);
    const fd = fs.openSync(
      `${p}.part`,
      fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_NOFOLLOW,
      0o666,
    );
    try {
      fs.writeSync(fd, text);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(`${p}.part`, p);
  }
}

function lineOf(item: JobOrResult): number {
  return 'job' in item ? item.job.line : item.result.line;
}

/** What identifies an entry for a shard's hash: its line, URL (or the bad line's text) and options. */
function entryKey(item: JobOrResult): string {
  if ('result' in item) return `${item.result.line}\t!${item.result.url}`;
  const e = item.job.entry;
  return `${e.line}\t${e.url}\t${(e.mirrors ?? []).join('\t')}\t${JSON.stringify(e.options)}`;
}

/**
 * The jobs of the shards this run takes (names are claimed for every entry before, in toJobs, so that N runs
 * name files as one run would). A shard's entries are gathered and hashed, then either skipped (its K.done is
 * there for the same entries) or handed on. Reports how many items it handed on once the list has ended.
 */
export async function* shardJobs(
  items: AsyncIterable<JobOrResult>,
  store: ShardStore,
  onListed: (count: number) => void,
): AsyncGenerator<JobOrResult> {
  const size = store.options.size;
  let shard = -1;
  let buf: JobOrResult[] = [];
  let handed = 0;
  let last = 0;
  const flush = function* (): Generator<JobOrResult> {
    if (buf.length === 0 || !store.mine(shard)) return;
    const hash = createHash('sha256');
    for (const item of buf) hash.update(`${entryKey(item)}\n`);
    const digest = hash.digest('hex');
    if (store.marker(shard)?.entries === digest) {
      store.skipped++;
      return;
    }
    store.begin(shard, digest, buf.length);
    handed += buf.length;
    yield* buf;
  };
  for await (const item of items) {
    const line = lineOf(item);
    last = Math.max(last, line);
    const k = shardOf(line, size);
    if (k !== shard) {
      yield* flush();
      for (let s = shard + 1; s < k; s++) if (store.mine(s)) store.empty(s);
      shard = k;
      buf = [];
    }
    if (store.mine(k)) buf.push(item);
  }
  yield* flush();
  const start = store.options.start;
  if (start) {
    // One shard read from its offset: the list's shard count is given; a shard of comment lines is finished.
    if (shard < 0) store.empty(store.options.index);
    store.listEnded(store.options.count);
  } else store.listEnded(last === 0 ? 0 : shardOf(last, size) + 1);
  onListed(handed);
}
