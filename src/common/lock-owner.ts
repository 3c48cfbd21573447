import fs from 'node:fs';
import os from 'node:os';

// Who holds a lock (see PartLock), and whether it still runs.

/** How often a held lock's mtime is refreshed, so runs on other hosts sharing the folder see its owner live. */
export const HEARTBEAT_MS = 10_000;
/** A lock of another host (or one without a readable owner) not refreshed for this long is abandoned. */
export const STALE_MS = 60_000;

/** Who holds a lock: written as the lock file's first line. */
export interface Owner {
  pid: number;
  /** The owner's OS thread (a --mode threads worker): a dead worker's lock is stale while its process lives. */
  tid?: number | undefined;
  /** Shown in messages. */
  host: string;
  /** This kernel boot and pid namespace: pids mean something only on the same node. */
  node: string;
  /** The process's start time (clock ticks after boot): a reused pid is another process. */
  start?: string | undefined;
  /** This owner (or claim), for telling one from another. */
  nonce: string;
  /** The owner file's name in the lock's folder (file/part-lock.ts), removed by whoever takes its last lock over. */
  file?: string | undefined;
}

export interface Claim extends Owner {
  /** The stale lock claimed: its owner's nonce and its name (one owner file serves many locks). */
  claim: string;
  /** When (ms since the epoch): a claim lives a moment, so an old one from another host is abandoned. */
  at: number;
}

let me: Omit<Owner, 'nonce'> | undefined;
let nonces = 0;
/** Tells owners apart (with the pid and host beside it in every line); node:crypto is not loaded for it. */
const noncePrefix = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;
export const newNonce = () => `${noncePrefix}${(++nonces).toString(36)}`;

function readOr(p: string, fallback: string): string {
  try {
    return fs.readFileSync(p, 'utf8').trim();
  } catch {
    return fallback;
  }
}

function linkOr(p: string, fallback: string): string {
  try {
    return fs.readlinkSync(p);
  } catch {
    return fallback;
  }
}

/** Field 22 of /proc/PID/stat, the start time; undefined when there is no such process (or no /proc). */
function startOf(pid: number | string): string | undefined {
  const stat = readOr(`/proc/${pid}/stat`, '');
  // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19];
}

/** This thread's identity (per thread: module state is), read once. */
export function self(): Omit<Owner, 'nonce'> {
  if (me) return me;
  const tid = Number(/task\/(\d+)$/.exec(linkOr('/proc/thread-self', ''))?.[1]);
  me = {
    pid: process.pid,
    tid: Number.isSafeInteger(tid) ? tid : undefined,
    host: os.hostname(),
    node: `${os.hostname()}/${readOr('/proc/sys/kernel/random/boot_id', '')}/${linkOr('/proc/self/ns/pid', '')}`,
    start: startOf('self'),
  };
  return me;
}

export function line(o: Owner | Claim): string {
  return `${JSON.stringify(o)}\n`;
}

export function parse(text: string | undefined): Owner | undefined {
  if (text === undefined) return undefined;
  try {
    const o = JSON.parse(text) as Partial<Owner>;
    if (!Number.isSafeInteger(o.pid) || typeof o.node !== 'string' || typeof o.nonce !== 'string')
      return undefined;
    return { ...o, host: String(o.host) } as Owner;
  } catch {
    return undefined;
  }
}

/**
 * Is the owner running? On this node, by its pid (and start time, and thread): certain. On another, only by its
 * heartbeat: the lock's mtime is refreshed every HEARTBEAT_MS, so one older than STALE_MS is abandoned.
 */
export function alive(o: Owner, mtimeMs: number): boolean {
  if (o.node !== self().node) return Date.now() - mtimeMs < STALE_MS;
  const start = startOf(o.pid);
  if (start === undefined) {
    if (self().start !== undefined) return false; // /proc answers: no such process
    try {
      process.kill(o.pid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  }
  if (o.start !== undefined && start !== o.start) return false;
  return o.tid === undefined || fs.existsSync(`/proc/${o.pid}/task/${o.tid}`);
}
