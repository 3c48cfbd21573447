import fs from 'node:fs';
import type { NormalizedOptions } from '../options.js';

/** The process's open-file limit (RLIMIT_NOFILE), soft and hard. */
export interface OpenFileLimit {
  soft: number;
  hard: number;
}

/**
 * Reads the limit from /proc/self/limits (Linux; undefined elsewhere, or when unlimited). Node has no getrlimit,
 * and spawning `ulimit -Hn` costs a process start. Node already raises the soft limit to the hard one at start-up
 * (measured: `ulimit -Sn 200` under a hard limit of 4000 shows 4000/4000 here), so what is read is what holds.
 */
export function openFileLimit(text?: string): OpenFileLimit | undefined {
  let limits = text;
  if (limits === undefined) {
    try {
      limits = fs.readFileSync('/proc/self/limits', 'utf8');
    } catch {
      return undefined;
    }
  }
  const m = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(limits);
  if (!m || m[1] === 'unlimited') return undefined;
  return { soft: Number(m[1]), hard: m[2] === 'unlimited' ? Infinity : Number(m[2]) };
}

/** Files a run holds open whatever -j is: Node itself (~20 measured), stdio, list files, the manifest. */
const BASE_FILES = 40;
/** Files one download holds: its socket, its `.part` and a moment's `.part.meta`. */
const PER_DOWNLOAD = 3;

export interface OpenFileFit {
  /** -j, lowered when the limit cannot hold that many downloads. */
  concurrency: number;
  /**
   * Open connections past which each response closes its connection: what is left once every download has its
   * socket and files, and as many new connections as there are downloads could still open.
   */
  maxConnections: number;
  /** Set when -j was lowered: the one line to tell the user. */
  warning?: string | undefined;
}

/**
 * Sizes -j and the idle-connection cache against the open-file limit, so a run over many hosts does not fail its
 * files with EMFILE. Headroom is kept for what a run opens besides its downloads: Node and stdio, the folders it
 * keeps open (up to 256, fewer counted under a low limit: opening them past the limit is retried), worker threads
 * and hash workers. Two thirds of the rest go to downloads, the last third to idle keep-alive connections.
 */
export function fitOpenFiles(
  o: { concurrency: number; workers: number; mode: string; hashPool: string },
  limit: OpenFileLimit | undefined,
): OpenFileFit {
  if (limit === undefined) return { concurrency: o.concurrency, maxConnections: Infinity };
  const folders = Math.min(256, Math.floor(limit.soft / 8));
  const workers =
    (o.mode === 'threads' ? 4 * o.workers : 0) +
    (o.hashPool === 'processes' ? 6 : o.hashPool === 'threads' ? 2 : 0) * o.workers;
  const free = Math.max(0, limit.soft - BASE_FILES - folders - workers);
  const most = Math.max(1, Math.floor((free * 2) / 3 / PER_DOWNLOAD));
  const concurrency = Math.min(o.concurrency, most);
  const maxConnections = Math.max(0, free - concurrency * PER_DOWNLOAD);
  if (concurrency === o.concurrency) return { concurrency, maxConnections };
  return {
    concurrency,
    maxConnections,
    warning: `-j ${o.concurrency} lowered to ${concurrency}: the open-file limit (ulimit -n) is ${limit.soft}`,
  };
}

/** `opts` with -j and the connection cap fitted to the open-file limit; a lowered -j is said once (a warning). */
export function withinOpenFiles(
  opts: NormalizedOptions,
  limit: OpenFileLimit | undefined = openFileLimit(),
): NormalizedOptions {
  const fit = fitOpenFiles(opts, limit);
  if (fit.warning !== undefined) opts.onEvent({ type: 'warning', message: fit.warning });
  return {
    ...opts,
    concurrency: fit.concurrency,
    perHost: Math.min(opts.perHost, fit.concurrency),
    maxConnections: fit.maxConnections,
  };
}
