import { createHash, type Hash } from 'node:crypto';
import fs from 'node:fs';
import { relativeName } from '../jobs/naming.js';
import { NameRegistry } from '../jobs/naming.js';
import { checkUrl, parseList } from '../sources/list.js';
import { OWN_DIR } from '../store/layout.js';

/** Where one shard of a list is, so that a worker reads it alone (see ShardOptions.start). */
export interface PlannedShard {
  /** Byte offset of its first line, and of the next shard's (or the file's end). */
  offset: number;
  end: number;
  /** Number of its first line (1-based). */
  firstLine: number;
  /** sha256 of its bytes (offset .. end): a worker refuses a list that changed since it was planned. */
  bytes: string;
  /** Lines of it whose file name an earlier line took, with the name a run of the whole list gives them. */
  names?: Record<number, string>;
}

export interface ShardPlan {
  /** sha256 of the whole list. */
  hash: string;
  shards: PlannedShard[];
}

/**
 * Reads a list file twice, streaming: once for its bytes (the list's hash, each shard's byte range and hash;
 * lines end at `\n`, `\r\n` or a lone `\r`, as the list parser counts them), and once through the parser to
 * settle names: every entry's name is claimed in list order as one `dlpool get` of the list would (same
 * registry, same suffixes), and the entries that do not get their own name are recorded with their shard.
 * Memory: the name registry (16 MiB per million names), and the settled names, which are few unless the list
 * repeats names.
 */
export async function planShards(
  list: string,
  size: number,
  /** Read size (tests cut line ends across reads with small ones). */
  chunkBytes = 1 << 20,
): Promise<ShardPlan> {
  const whole = createHash('sha256');
  const shards: PlannedShard[] = [];
  const hashes: Hash[] = [];
  let line = 1;
  let offset = 0;
  // The list's last byte so far was a `\r`: its line ends there, or at a `\n` that starts the next chunk.
  let pendingCr = false;
  const startShard = (at: number) => {
    shards.push({ offset: at, end: at, firstLine: line, bytes: '' });
    hashes.push(createHash('sha256'));
  };
  startShard(0);
  for await (const chunk of fs.createReadStream(list, { highWaterMark: chunkBytes })) {
    const b = chunk as Buffer;
    whole.update(b);
    let from = 0;
    /** A line ends with byte `at` of this chunk (-1: the last byte of the one before). */
    const lineEnd = (at: number) => {
      line++;
      if ((line - 1) % size === 0) {
        // The next line starts a shard: the shard before it ends here.
        hashes.at(-1)!.update(b.subarray(from, at + 1));
        from = at + 1;
        startShard(offset + at + 1);
      }
    };
    if (!pendingCr && b.indexOf(13) < 0) {
      for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) lineEnd(i);
    } else {
      for (let i = 0; i < b.length; i++) {
        const c = b[i];
        if (pendingCr) {
          pendingCr = false;
          if (c === 10) {
            lineEnd(i);
            continue;
          }
          lineEnd(i - 1);
        }
        if (c === 10) lineEnd(i);
        else if (c === 13) {
          if (i + 1 === b.length) pendingCr = true;
          else if (b[i + 1] === 10) lineEnd(++i);
          else lineEnd(i);
        }
      }
    }
    hashes.at(-1)!.update(b.subarray(from));
    offset += b.length;
  }
  // A last "shard" that starts at the end of the file holds nothing.
  if (shards.length > 1 && shards.at(-1)!.offset >= offset) {
    shards.pop();
    hashes.pop();
  }
  shards.forEach((s, k) => {
    s.end = k + 1 < shards.length ? shards[k + 1]!.offset : offset;
    s.bytes = hashes[k]!.digest('hex');
  });
  await settleNames(list, size, shards);
  return { hash: whole.digest('hex'), shards };
}

async function settleNames(list: string, size: number, shards: PlannedShard[]): Promise<void> {
  const names = new NameRegistry();
  // As a sharded run does: dlpool's own folder is no download's name.
  names.claim(OWN_DIR);
  for await (const item of parseList(fs.createReadStream(list), list)) {
    if (item.kind !== 'entry') continue;
    const checked = checkUrl(item.url);
    if (!checked.ok) continue;
    let natural: string;
    try {
      natural = relativeName({ url: checked.url, out: item.out, dir: item.dir });
    } catch {
      // An unsafe name fails its entry in the worker as it would in one run; nothing is claimed.
      continue;
    }
    const claimed = names.claim(natural);
    if (claimed === natural) continue;
    const shard = shards[Math.floor((item.line - 1) / size)];
    if (shard) (shard.names ??= {})[item.line] = claimed;
  }
}
