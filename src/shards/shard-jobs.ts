import { createHash } from 'node:crypto';
import type { JobOrResult } from '../jobs/job.js';
import { shardOf, type ShardStore } from './shards.js';

function lineOf(item: JobOrResult): number {
  return 'job' in item ? item.job.line : item.result.line;
}

/** What identifies an entry for a shard's hash: its line, URL (or the bad line's text) and options. */
function entryKey(item: JobOrResult): string {
  if ('result' in item) return `${item.result.line}\t!${item.result.url}`;
  const e = item.job.entry;
  const mirrors = e.mirrors === undefined ? '' : e.mirrors.join('\t');
  // (Most entries have no options: '{}' without a JSON.stringify, the larger part of this per-entry cost.)
  return `${e.line}\t${e.url}\t${mirrors}\t${isEmpty(e.options) ? '{}' : JSON.stringify(e.options)}`;
}

function isEmpty(o: object): boolean {
  for (const _ in o) return false;
  return true;
}

/**
 * The jobs of the shards this run takes (names are claimed for every entry before, in toJobs, so that N runs
 * name files as one run would). A shard's entries are gathered and hashed, then either skipped (its K.done is
 * there for the same entries) or handed on. Every entry of the list, taken or not, goes into the list's hash,
 * which the markers record. Reports how many items it handed on once the list has ended.
 */
export async function* shardJobs(
  items: AsyncIterable<JobOrResult>,
  store: ShardStore,
  onListed: (count: number) => void,
): AsyncGenerator<JobOrResult> {
  const size = store.options.size;
  const list = createHash('sha256');
  let listKeys = '';
  let shard = -1;
  let buf: JobOrResult[] = [];
  let hash = createHash('sha256');
  let handed = 0;
  let last = 0;
  const flush = function* (): Generator<JobOrResult> {
    if (buf.length === 0 || !store.mine(shard)) return;
    const digest = hash.digest('hex');
    if (store.finished(shard, digest)) {
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
      hash = createHash('sha256');
    }
    const key = `${entryKey(item)}\n`;
    // The list's hash takes the keys in batches: an update per entry cost ~0.5 us each (1M entries).
    listKeys += key;
    if (listKeys.length >= 64 * 1024) {
      list.update(listKeys);
      listKeys = '';
    }
    if (store.mine(k)) {
      buf.push(item);
      hash.update(key);
    }
  }
  yield* flush();
  list.update(listKeys);
  const start = store.options.start;
  if (start) {
    // One shard read from its offset: the list's shard count is given; a shard of comment lines is finished.
    if (shard < 0) store.empty(store.options.index);
    store.listEnded(store.options.count, list.digest('hex'));
  } else store.listEnded(last === 0 ? 0 : shardOf(last, size) + 1, list.digest('hex'));
  onListed(handed);
}
