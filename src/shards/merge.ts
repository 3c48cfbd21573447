import fsp from 'node:fs/promises';
import path from 'node:path';
import { DlpoolError } from '../errors.js';
import type { ShardMarker } from './shards.js';

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

/** A finished shard's files: its manifest lines and its failed entries in list order. */
export async function readShard(
  shardsDir: string,
  k: number,
  marker: ShardMarker,
): Promise<{ sums: string; failed: FailedEntry[] }> {
  const sums = await fsp.readFile(path.join(shardsDir, `${k}.sums`), 'utf8');
  const failed: FailedEntry[] = [];
  if (marker.failed === 0) return { sums, failed };
  for (const line of (await fsp.readFile(path.join(shardsDir, `${k}.jsonl`), 'utf8')).split('\n')) {
    if (line === '') continue;
    const r = JSON.parse(line) as {
      url: string;
      source: string;
      line: number;
      status: string;
      error: { code: string; message: string } | null;
    };
    if (r.status !== 'failed') continue;
    failed.push({
      url: r.url,
      source: r.source,
      line: r.line,
      code: r.error?.code ?? 'ERR_DL_NETWORK',
      message: r.error?.message ?? 'failed',
    });
  }
  return { sums, failed };
}

/**
 * Merges what the runs of a sharded list left under DIR/.dlpool/shards/: calls `onSums` with each finished
 * shard's manifest lines (sha256sum format, paths relative to DIR) in list order, and returns the totals, the
 * failed entries in list order and the shards still missing. Throws ERR_DL_INPUT when DIR holds no shards.
 */
export async function mergeShards(dir: string, onSums: (text: string) => void): Promise<MergeSummary> {
  const shardsDir = path.join(dir, '.dlpool', 'shards');
  let names: string[];
  try {
    names = await fsp.readdir(shardsDir);
  } catch (err) {
    throw new DlpoolError('ERR_DL_INPUT', `no shards in '${dir}' (${shardsDir} cannot be read)`, {
      cause: err,
    });
  }
  const markers = new Map<number, ShardMarker>();
  for (const n of names) {
    const m = /^(\d+)\.done$/.exec(n);
    if (!m) continue;
    const marker = JSON.parse(await fsp.readFile(path.join(shardsDir, n), 'utf8')) as ShardMarker;
    markers.set(Number(m[1]), marker);
  }
  if (markers.size === 0) throw new DlpoolError('ERR_DL_INPUT', `no finished shard in '${shardsDir}'`);
  const of = Math.max(...[...markers.values()].map((m) => m.of), ...[...markers.keys()].map((k) => k + 1));
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
    const shard = await readShard(shardsDir, k, marker);
    onSums(shard.sums);
    summary.failed.push(...shard.failed);
  }
  return summary;
}
