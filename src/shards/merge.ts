import fs from 'node:fs';
import path from 'node:path';
import { DlpoolError, ERROR_CODES, type ErrorCode } from '../errors.js';
import { eachOwnLine, ownFileError } from '../store/own-files.js';
import { sanitizeName } from '../jobs/naming.js';
import { parseChecksumLine } from '../verify/checksums.js';
import { markerShard, parseMarker, readMarker, type ShardMarker } from './marker.js';
import { OWN_DIR, SHARDS } from '../store/layout.js';

/** A failed entry of a merged run, enough to retry it (`dlpool get` of its URL) and to find its list line. */
export interface FailedEntry {
  url: string;
  source: string;
  line: number;
  code: string;
  message: string;
}

export interface MergeSummary {
  /** Shards in the list (as the markers say). */
  of: number;
  /** Shards finished. */
  done: number;
  /** Shards without a marker: not run yet, still running, or cut off. */
  missing: number[];
  entries: number;
  downloaded: number;
  skipped: number;
  failed: FailedEntry[];
}

/** A K.sums line: a digest and a path of at most 8192 characters (a list line's limit), UTF-8. */
const SUMS_LINE_BYTES = 130 + 3 * 8192;
/** A K.jsonl line: a result, whose URL and message may each be a list line long, JSON-escaped. */
const JSONL_LINE_BYTES = 256 * 1024;
/** Manifest text handed on at a time: a shard's lines are never held whole by a merge. */
const BATCH_CHARS = 64 * 1024;
/** C0 controls and DEL: a URL holding one would break the `--failed` list into other lines. */
const CONTROL = /[\x00-\x1f\x7f]/;

/**
 * Why a K.sums line is not one dlpool writes (`HEX  PATH`, PATH a name dlpool could have given: relative,
 * every component as the naming rules leave it, so no `..`, no control character, nothing under `.dlpool`).
 */
function sumsLineProblem(line: string): string | undefined {
  const parsed = parseChecksumLine(line, 0);
  if (parsed === undefined || 'message' in parsed || !/^[0-9a-f]+ {2}/.test(line))
    return 'is not a checksum line (HEX  PATH)';
  const parts = parsed.name.split('/');
  if (parts.some((p) => p !== sanitizeName(p))) return 'names a path that is not a file in DIR';
  return undefined;
}

/**
 * Shard `k`'s manifest lines, checked, handed to `each` in batches: at most as many as the marker has files
 * (not failed), each a checksum line of a path inside DIR. Anything else throws ERR_DL_INPUT naming the line.
 */
async function eachSums(
  shardsDir: string,
  k: number,
  marker: ShardMarker,
  each: (text: string) => void,
): Promise<void> {
  const p = path.join(shardsDir, `${k}.sums`);
  let batch = '';
  await eachOwnLine(
    p,
    { maxLineBytes: SUMS_LINE_BYTES, maxLines: marker.count - marker.failed },
    (line, n) => {
      const problem = sumsLineProblem(line);
      if (problem) throw ownFileError(p, `line ${n} ${problem}`);
      batch += `${line}\n`;
      if (batch.length >= BATCH_CHARS) {
        each(batch);
        batch = '';
      }
    },
  );
  if (batch !== '') each(batch);
}

/** Shard `k`'s failed entries, from K.jsonl: every line a result, as many failed as the marker says. */
async function readFailed(shardsDir: string, k: number, marker: ShardMarker): Promise<FailedEntry[]> {
  const p = path.join(shardsDir, `${k}.jsonl`);
  const failed: FailedEntry[] = [];
  await eachOwnLine(p, { maxLineBytes: JSONL_LINE_BYTES, maxLines: marker.count }, (line, n) => {
    const r = failedEntry(line);
    if (typeof r === 'string') throw ownFileError(p, `line ${n} is not a result (${r})`);
    if (r) failed.push(r);
  });
  if (failed.length !== marker.failed)
    throw ownFileError(p, `holds ${failed.length} failed entries where ${k}.done says ${marker.failed}`);
  return failed;
}

/** A failed result line as a FailedEntry, undefined for another status, or what is wrong with it. */
function failedEntry(line: string): FailedEntry | undefined | string {
  let r: unknown;
  try {
    r = JSON.parse(line);
  } catch {
    return 'not JSON';
  }
  if (typeof r !== 'object' || r === null) return 'not an object';
  const o = r as Record<string, unknown>;
  if (o['status'] === 'downloaded' || o['status'] === 'skipped' || o['status'] === 'unchanged')
    return undefined;
  if (o['status'] !== 'failed') return "'status' is not downloaded, skipped, unchanged or failed";
  const { url, source, line: at } = o;
  const error = (o['error'] ?? {}) as Record<string, unknown>;
  if (typeof url !== 'string' || CONTROL.test(url)) return "'url' is not a URL";
  if (typeof source !== 'string' || CONTROL.test(source)) return "'source' is not a list name";
  if (typeof at !== 'number' || !Number.isSafeInteger(at) || at < 1) return "'line' is not a line number";
  const code = error['code'] ?? 'ERR_DL_NETWORK';
  if (typeof code !== 'string' || !Object.hasOwn(ERROR_CODES, code))
    return "'error.code' is not a dlpool error code";
  const message = error['message'] ?? 'failed';
  if (typeof message !== 'string') return "'error.message' is not text";
  return { url, source, line: at, code: code as ErrorCode, message };
}

/**
 * A finished shard's files, checked as `merge` checks them: its manifest lines and its failed entries in list
 * order. A link, a FIFO or device, an over-long line, a line that is not what dlpool writes, or more lines
 * than `marker` accounts for throws ERR_DL_INPUT naming the file.
 */
export async function readShard(
  shardsDir: string,
  k: number,
  marker: ShardMarker,
): Promise<{ sums: string; failed: FailedEntry[] }> {
  // The caller may have read the marker itself: its numbers bound what is read here, so they are checked.
  const checked = parseMarker(JSON.stringify(marker), k);
  if (typeof checked === 'string') throw ownFileError(path.join(shardsDir, `${k}.done`), checked);
  const parts: string[] = [];
  await eachSums(shardsDir, k, marker, (t) => parts.push(t));
  return { sums: parts.join(''), failed: marker.failed === 0 ? [] : await readFailed(shardsDir, k, marker) };
}

/** DIR/.dlpool/shards, a folder (not a link) all the way: the path to read it by. */
function shardsFolder(dir: string): string {
  let at = dir;
  for (const name of [OWN_DIR, SHARDS]) {
    at = path.join(at, name);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(at);
    } catch (err) {
      throw new DlpoolError('ERR_DL_INPUT', `no shards in '${dir}' (${at} cannot be read)`, { cause: err });
    }
    if (st.isSymbolicLink())
      throw ownFileError(at, 'is a symbolic link; dlpool reads its shard files from a folder');
    if (!st.isDirectory()) throw ownFileError(at, 'is not a directory');
  }
  return at;
}

/** The markers of `shardsDir`, checked, and all of one list (one identity, one shard count). */
function readMarkers(shardsDir: string): Map<number, ShardMarker> {
  const markers = new Map<number, ShardMarker>();
  for (const name of fs.readdirSync(shardsDir)) {
    const k = markerShard(name);
    const m = k === undefined ? undefined : readMarker(shardsDir, k);
    if (m === undefined) continue;
    if (m.list === undefined) {
      throw ownFileError(
        path.join(shardsDir, name),
        'records no list (an older dlpool wrote it): rerun the list into DIR to record it',
      );
    }
    markers.set(m.shard, m);
  }
  const all = [...markers.values()].sort((a, b) => a.shard - b.shard);
  const first = all[0];
  const other = all.find((m) => m.list !== first!.list || m.of !== first!.of);
  if (first && other) {
    throw new DlpoolError(
      'ERR_DL_INPUT',
      `shards of different lists in '${shardsDir}': ${first.shard}.done is of list ${first.list!.slice(0, 12)} ` +
        `(${first.of} shards), ${other.shard}.done of list ${other.list!.slice(0, 12)} (${other.of} shards); ` +
        "merge one list's shards per directory",
    );
  }
  return markers;
}

/**
 * Merges what the runs of a sharded list left under DIR/.dlpool/shards/: calls `onSums` with the finished
 * shards' manifest lines (sha256sum format, paths relative to DIR), in list order and in batches, and returns
 * the totals, the failed entries in list order and the shards still missing. Every file is checked first as a
 * file (no link, FIFO or device; bounded) and then as what dlpool writes; markers of different lists are
 * refused. Throws ERR_DL_INPUT when DIR holds no shards or any of this is wrong.
 */
export async function mergeShards(dir: string, onSums: (text: string) => void): Promise<MergeSummary> {
  const shardsDir = shardsFolder(dir);
  const markers = readMarkers(shardsDir);
  if (markers.size === 0) throw new DlpoolError('ERR_DL_INPUT', `no finished shard in '${shardsDir}'`);
  const of = markers.values().next().value!.of;
  const summary: MergeSummary = {
    of,
    done: 0,
    missing: [],
    entries: 0,
    downloaded: 0,
    skipped: 0,
    failed: [],
  };
  for (let k = 0; k < of; k++) {
    const marker = markers.get(k);
    if (!marker) {
      summary.missing.push(k);
      continue;
    }
    summary.done++;
    summary.entries += marker.count;
    summary.downloaded += marker.downloaded;
    summary.skipped += marker.skipped;
    await eachSums(shardsDir, k, marker, onSums);
    if (marker.failed > 0) summary.failed.push(...(await readFailed(shardsDir, k, marker)));
  }
  return summary;
}
