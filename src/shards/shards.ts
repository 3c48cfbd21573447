import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DlpoolError, errnoOf, UsageError } from '../errors.js';
import type { FileResult } from '../events.js';
import { resultJson } from '../report/result-json.js';
import { manifestLine } from '../verify/checksums.js';
import type { ShardOptions } from '../options.js';
import type { DirMaker } from '../file/dirs.js';
import { ownFileError, replaceOwnFileSync } from '../store/own-files.js';
import { markerShard, readMarker, type ShardMarker } from './marker.js';
import { OWN_DIR, SHARDS_REL } from '../store/layout.js';

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

export type { ShardMarker } from './marker.js';

/** sha256 of nothing: the entries of a shard that has none. */
const NO_ENTRIES = createHash('sha256').digest('hex');

interface Open {
  hash: string;
  expected: number;
  results: FileResult[];
  /** A download of it was interrupted: the shard is not finished, whatever its count says. */
  cut: boolean;
}

/** A finished shard's marker before the list has ended (its shard count and identity are not known yet). */
type Pending = Omit<ShardMarker, 'of' | 'list'>;

/** The shard files of one output directory: markers read, results gathered, finished shards written. */
export class ShardStore {
  readonly #dirs: DirMaker;
  readonly #outDir: string;
  /** The markers of this run's shards that were there when it started (read once, up front). */
  readonly #markers = new Map<number, ShardMarker>();
  readonly #open = new Map<number, Open>();
  /** Markers to write once the list has ended: shards finished now, and finished ones it skipped. */
  readonly #finished: Pending[] = [];
  /** The list's identity when it does not come from reading the whole list (a shard read alone). */
  readonly #fixedList: string | undefined;
  /** The list's shard count and identity, once it has ended. */
  #ended: { of: number; list: string } | undefined;
  /**
   * Shard files this run could not write (a full disk, a folder in the way): the run reports them, and those
   * shards have no marker, so the next run does them again.
   */
  readonly errors: DlpoolError[] = [];
  /** Shards this run took (finished or not), and shards skipped because an earlier run finished them. */
  taken = 0;
  skipped = 0;

  /**
   * `list`: the list file (or `-`); `dirs`: the run's output directory, already open. Makes `.dlpool/shards`
   * one folder at a time through `dirs` (never through a link, only directories) and reads the markers of
   * this run's shards: any of them that is not a marker fails the run here, before anything downloads.
   */
  constructor(
    outDir: string,
    readonly options: ShardOptions,
    list: string,
    dirs: DirMaker,
  ) {
    this.#dirs = dirs;
    this.#outDir = outDir;
    this.#inFolder((folder) => {
      // A shard read alone (a queue worker, once per shard) reads its own marker, not the whole folder.
      for (const k of options.start ? [options.index] : this.#markerNames(folder)) {
        let m;
        try {
          m = readMarker(folder, k);
        } catch (err) {
          const text = err instanceof Error ? err.message : String(err);
          throw new DlpoolError('ERR_DL_INPUT', `${text}; remove it to run its shard again`, { cause: err });
        }
        if (m) this.#markers.set(k, m);
      }
    });
    this.#fixedList = options.start ? fileIdentity(list) : undefined;
  }

  /** Runs `fn` with the shards folder as a path through the pinned folder (see DirMaker), pinned meanwhile. */
  #inFolder<T>(fn: (folder: string) => T): T {
    let site;
    try {
      site = this.#dirs.site(`${SHARDS_REL}/-`, true)!;
    } catch (err) {
      throw ownFolderError(this.#outDir, err);
    }
    try {
      return fn(site.final.slice(0, -1));
    } finally {
      site.release();
    }
  }

  /** The shards of this run that have a marker in `folder`. */
  #markerNames(folder: string): number[] {
    let names: string[];
    try {
      names = fs.readdirSync(folder);
    } catch (err) {
      throw ownFileError(folder, `cannot be read: ${errnoOf(err) ?? String(err)}`, err);
    }
    return names.map(markerShard).filter((k): k is number => k !== undefined && this.mine(k));
  }

  mine(shard: number): boolean {
    return shard % this.options.count === this.options.index;
  }

  marker(shard: number): ShardMarker | undefined {
    return this.#markers.get(shard);
  }

  /**
   * Is shard `shard` finished for these entries (its marker says so)? Then it is skipped, and its marker
   * written again at the end if the list's shard count or identity changed (an edit elsewhere in the list).
   */
  finished(shard: number, entries: string): boolean {
    const m = this.#markers.get(shard);
    if (m?.entries !== entries) return false;
    if (this.#ended) this.#mark(m);
    else this.#finished.push(m);
    return true;
  }

  /** Starts gathering shard `shard`'s `expected` results. */
  begin(shard: number, hash: string, expected: number): void {
    this.taken++;
    this.#open.set(shard, { hash, expected, results: [], cut: false });
    this.#forget(shard);
  }

  /** A shard of ours with no entries at all (only comments, or past the list's end): finished as it is. */
  empty(shard: number): void {
    if (this.finished(shard, NO_ENTRIES)) return;
    this.#forget(shard);
    this.#write(shard, { hash: NO_ENTRIES, expected: 0, results: [], cut: false });
  }

  /** A marker of other entries goes before the shard's files change under it. */
  #forget(shard: number): void {
    if (!this.#markers.delete(shard)) return;
    this.#safely(() => this.#inFolder((f) => fs.rmSync(path.join(f, `${shard}.done`), { force: true })));
  }

  /** Runs `fn`; a failure is kept in `errors` (it happens in a result's callback, which must not throw). */
  #safely(fn: () => void): boolean {
    try {
      fn();
      return true;
    } catch (err) {
      this.errors.push(err instanceof DlpoolError ? err : new DlpoolError('ERR_DL_FILE', String(err)));
      return false;
    }
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

  /**
   * Every shard of the list is known: `of` shards, and the list's identity (`list`, unless it is fixed).
   * Markers of shards finished before now are written, and those of skipped shards whose count or list
   * changed.
   */
  listEnded(of: number, list: string): void {
    this.#ended = { of, list: this.#fixedList ?? list };
    for (const p of this.#finished.splice(0)) this.#mark(p);
  }

  /** Writes a finished shard's marker (the list has ended), unless the one there says the same. */
  #mark(p: Pending): void {
    const m: ShardMarker = { ...p, ...this.#ended! };
    const had = this.#markers.get(m.shard);
    if (had?.of === m.of && had.list === m.list && had.count === m.count && had.entries === m.entries) return;
    if (this.#safely(() => this.#replace(`${m.shard}.done`, `${JSON.stringify(m)}\n`)))
      this.#markers.set(m.shard, m);
  }

  #write(shard: number, open: Open): void {
    const results = open.results.sort((a, b) => a.line - b.line);
    const lines = results.map((r) => `${JSON.stringify(resultJson(r))}\n`).join('');
    const sums = results
      .filter((r) => r.digest !== undefined && r.path !== undefined && r.status !== 'failed')
      .map((r) => manifestLine(r.digest!.hex, r.path!))
      .join('');
    const written = this.#safely(() => {
      this.#replace(`${shard}.jsonl`, lines);
      this.#replace(`${shard}.sums`, sums);
    });
    if (!written) return;
    const count = (s: FileResult['status']) => results.filter((r) => r.status === s).length;
    // The marker goes last, once the list has ended (listEnded): it says the files above are complete.
    const done: Pending = {
      shard,
      entries: open.hash,
      count: results.length,
      downloaded: count('downloaded'),
      // (A marker counts -N's unchanged files with the skipped: both were already there.)
      skipped: count('skipped') + count('unchanged'),
      failed: count('failed'),
    };
    if (this.#ended) this.#mark(done);
    else this.#finished.push(done);
  }

  /** Written whole under a temporary name, then renamed: a shard file is complete or absent. */
  #replace(name: string, text: string): void {
    this.#inFolder((folder) => replaceOwnFileSync(path.join(folder, name), text));
  }
}

/** A shard read alone (it has not read the list): the list file's path, size and modification time. */
function fileIdentity(list: string): string {
  const full = path.resolve(list);
  const st = fs.statSync(full);
  return createHash('sha256').update(`${full}\0${st.size}\0${st.mtimeMs}`).digest('hex');
}

/** `.dlpool` or `.dlpool/shards` cannot be made or is not a folder: one line saying which and what is there. */
function ownFolderError(outDir: string, err: unknown): DlpoolError {
  const root = path.resolve(outDir);
  const shards = path.join(root, SHARDS_REL);
  for (const p of [path.join(root, OWN_DIR), shards]) {
    const st = fs.lstatSync(p, { throwIfNoEntry: false });
    if (st === undefined || st.isDirectory()) continue;
    const what = st.isSymbolicLink() ? 'is a symbolic link' : 'is not a directory';
    return ownFileError(p, `${what}; dlpool keeps its shard files in '${shards}' (move it away)`, err);
  }
  const reason = err instanceof Error ? err.message : String(err);
  return new DlpoolError('ERR_DL_INPUT', `cannot keep shard files in '${shards}': ${reason}`, { cause: err });
}
