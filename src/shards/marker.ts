import path from 'node:path';
import { ownFileError, readOwnSmallSync } from '../store/own-files.js';

/** What a finished shard's K.done says. */
export interface ShardMarker {
  shard: number;
  /** Shards in the whole list (so a merge knows whether any is missing). */
  of: number;
  /**
   * The list the shard belongs to: sha256 of every entry of the list (as `entries`, over all shards); for a
   * shard read alone from its offset (a queue worker), sha256 of the list file's path, size and mtime.
   * Optional for a run (a marker of an older dlpool still lets it skip the shard, and is written again with
   * it); merge refuses a marker without it.
   */
  list?: string | undefined;
  /** sha256 of the shard's entries (line, URL, options): a list edited there is another shard. */
  entries: string;
  count: number;
  downloaded: number;
  skipped: number;
  failed: number;
}

/** A marker is ~250 bytes; anything much bigger is not one. */
export const MARKER_MAX_BYTES = 4096;
/** More shards than any list has (10^8 URLs in shards of 10 lines): an `of` past it is not a count. */
export const MAX_SHARDS = 10_000_000;

const SHA256 = /^[0-9a-f]{64}$/;

/** `K.done` as dlpool names it (no leading zeros: `07.done` is not shard 7's). */
export function markerShard(name: string): number | undefined {
  const m = /^(0|[1-9]\d{0,7})\.done$/.exec(name);
  const k = m ? Number(m[1]) : NaN;
  return k < MAX_SHARDS ? k : undefined;
}

/** Why `text` is not shard `k`'s marker, or the marker. Every field is checked: it is printed and counted. */
export function parseMarker(text: string, k: number): ShardMarker | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return 'is not a shard marker (not JSON)';
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'is not a shard marker (not an object)';
  const o = v as Record<string, unknown>;
  const int = (key: string, min: number, max: number): string | undefined => {
    const n = o[key];
    return typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max
      ? undefined
      : `is not a shard marker ('${key}' is not an integer from ${min} to ${max})`;
  };
  const problem =
    int('shard', k, k) ??
    int('of', k + 1, MAX_SHARDS) ??
    int('count', 0, Number.MAX_SAFE_INTEGER) ??
    int('downloaded', 0, Number.MAX_SAFE_INTEGER) ??
    int('skipped', 0, Number.MAX_SAFE_INTEGER) ??
    int('failed', 0, Number.MAX_SAFE_INTEGER);
  if (problem) return problem;
  if (typeof o['entries'] !== 'string' || !SHA256.test(o['entries']))
    return "is not a shard marker ('entries' is not a sha256)";
  if (o['list'] !== undefined && (typeof o['list'] !== 'string' || !SHA256.test(o['list'])))
    return "is not a shard marker ('list' is not a sha256)";
  const m: ShardMarker = {
    shard: k,
    of: o['of'] as number,
    entries: o['entries'],
    count: o['count'] as number,
    downloaded: o['downloaded'] as number,
    skipped: o['skipped'] as number,
    failed: o['failed'] as number,
    ...(o['list'] === undefined ? {} : { list: o['list'] }),
  };
  if (m.downloaded + m.skipped + m.failed !== m.count)
    return "is not a shard marker ('downloaded', 'skipped' and 'failed' do not add up to 'count')";
  return m;
}

/**
 * Shard `k`'s marker in `shardsDir`, checked, or undefined when there is none. A link, a FIFO or device, a
 * file over MARKER_MAX_BYTES or one that is not a marker throws ERR_DL_INPUT naming it.
 */
export function readMarker(shardsDir: string, k: number): ShardMarker | undefined {
  const p = path.join(shardsDir, `${k}.done`);
  const text = readOwnSmallSync(p, MARKER_MAX_BYTES);
  if (text === undefined) return undefined;
  const m = parseMarker(text, k);
  if (typeof m === 'string') throw ownFileError(p, m);
  return m;
}
