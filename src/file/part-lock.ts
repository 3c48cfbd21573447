import fs from 'node:fs';
import { BusyError, UnsafeNameError } from '../errors.js';
import { fileError } from './file-error.js';
import { removeStaleTemp, TEMP_NAME } from './part-ops.js';
import {
  alive,
  type Claim,
  HEARTBEAT_MS,
  line,
  newNonce,
  type Owner,
  parse,
  self,
  STALE_MS,
} from '../common/lock-owner.js';
import { shownPath } from '../common/shown-path.js';

export { HEARTBEAT_MS, STALE_MS } from '../common/lock-owner.js';

const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_APPEND, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
/** Only where nothing is: the kernel creates a regular file or fails (EEXIST), never through a link. */
const CREATE = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK;
/** An existing lock, read and claimed by appending (O_APPEND: concurrent claims land whole, one after the other). */
const CLAIM = O_RDWR | O_APPEND | O_NOFOLLOW | O_NONBLOCK;

/** Where a hard link cannot be made (a file system without them, a full link count): a lock file of its own. */
const LINKLESS: ReadonlySet<string> = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK', 'ENOSYS']);

interface OwnerFile {
  path: string;
  nonce: string;
  /** Hard links work in this folder. */
  links: boolean;
}

/** This thread's owner file per folder (by the folder's path prefix), made on first use, removed by dropOwnerFile. */
const owners = new Map<string, OwnerFile>();

/**
 * Making a file costs far more than naming one: a create+write+close+unlink took ~120-570 us of system time on
 * ext4 (a 2-core VM), a link+unlink ~18 us. So each thread writes its owner line once per folder, in
 * `.dlpool-lock-NONCE`, and a lock is a hard link to it: one link() to take, one unlink() to give back.
 */
function ownerIn(folder: string, lockPath: string): OwnerFile {
  let o = owners.get(folder);
  if (o) return o;
  const nonce = newNonce();
  const file = `.dlpool-lock-${nonce}`;
  const path = folder + file;
  // (A failure names the lock: the owner file is how it is made.)
  if (!create(path, line({ ...self(), nonce, file }), lockPath))
    throw fileError(Object.assign(new Error('exists'), { code: 'EEXIST' }), 'create', lockPath);
  o = { path, nonce, links: true };
  owners.set(folder, o);
  return o;
}

/**
 * Removes this thread's owner file in `folder` (every path prefix when absent): when the folder is closed, or
 * the run ends. Locks are links of their own, so one still held elsewhere is not affected.
 */
export function dropOwnerFile(folder?: string): void {
  for (const [f, o] of owners) {
    if (folder !== undefined && f !== folder) continue;
    owners.delete(f);
    swept.delete(f);
    try {
      fs.unlinkSync(o.path);
    } catch {
      // Already gone.
    }
  }
}

/** Folders this thread has swept of dead owners' files (once while the folder is open: a sweep lists it). */
const swept = new Set<string>();

/**
 * Removes the owner files of dead owners that hold no lock (one link): a run killed while one of its threads had
 * no download in the folder left that thread's file, which no takeover reaches; and the private files of bodies
 * a killed run was writing whole (see removeStaleTemp). Found only by listing the folder, so done only where a
 * dead owner's lock was just taken over: the sign of a killed run.
 */
function sweep(folder: string): void {
  if (swept.has(folder)) return;
  swept.add(folder);
  let names: string[];
  try {
    names = fs.readdirSync(folder === '' ? '.' : folder);
  } catch {
    return;
  }
  const mine = owners.get(folder)?.path;
  for (const name of names) {
    if (TEMP_NAME.test(name)) {
      removeStaleTemp(folder + name);
      continue;
    }
    if (!name.startsWith('.dlpool-lock-') || folder + name === mine) continue;
    const file = folder + name;
    let fd: number;
    try {
      fd = fs.openSync(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    } catch {
      continue;
    }
    try {
      const st = fs.fstatSync(fd);
      if (!st.isFile() || st.nlink !== 1) continue;
      const owner = parse(readAll(fd).split('\n')[0]);
      if (owner?.file !== name || alive(owner, st.mtimeMs)) continue;
      // Still this very file at the name (not one made since by another run)? Only then it goes.
      const now = fs.lstatSync(file, { throwIfNoEntry: false });
      if (now?.ino === st.ino && now.dev === st.dev) fs.rmSync(file, { force: true });
    } catch {
      // Not ours to judge: left as it is.
    } finally {
      fs.closeSync(fd);
    }
  }
}

/** Takes the lock at `lockPath` in `folder`: the owner nonce it now names, or undefined when one is there. */
function take(folder: string, lockPath: string): string | undefined {
  for (;;) {
    const o = ownerIn(folder, lockPath);
    if (!o.links) {
      const nonce = newNonce();
      return create(lockPath, line({ ...self(), nonce })) ? nonce : undefined;
    }
    try {
      fs.linkSync(o.path, lockPath);
      return o.nonce;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (code === 'EEXIST') return undefined;
      if (code === 'ENOENT' && fs.lstatSync(o.path, { throwIfNoEntry: false }) === undefined) {
        // The owner file went (another run of this thread closed the folder): made again.
        owners.delete(folder);
        continue;
      }
      if (!LINKLESS.has(code)) throw fileError(err, 'create', lockPath);
      o.links = false;
    }
  }
}

function readAll(fd: number): string {
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(4096);
  for (let at = 0; ;) {
    const n = fs.readSync(fd, buf, 0, buf.length, at);
    if (n === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
    at += n;
    if (at > 64 * 1024) break; // a lock is a few lines; more is not ours to read
  }
  return Buffer.concat(chunks).toString('utf8');
}

function unsafe(p: string, what: string): UnsafeNameError {
  return new UnsafeNameError(`'${shownPath(p)}' is ${what}; dlpool only uses its own lock files (remove it)`);
}

/** What the lock file at a path says now. */
type Look = { kind: 'gone' } | { kind: 'taken' } | { kind: 'busy'; owner: Owner | undefined };

/**
 * `NAME.part.lock`: while it exists, one download (of this or another dlpool run) owns `NAME.part` and its
 * state. It is made only where nothing is (link(), else O_EXCL), so of two runs only one gets it; it names its
 * owner (pid, thread, host, node, start time), so a lock whose owner is provably gone (killed, its worker thread
 * dead) is taken over.
 * Taking over never lets two runs win: each appends a claim to the stale lock and only the first living claimer
 * removes it (then races for a new one like anyone else). The owner refreshes its mtime (HEARTBEAT_MS) for runs
 * on other hosts sharing the folder, which can only go by that.
 */
export class PartLock {
  #lost = false;
  #released = false;
  #beat: number;

  private constructor(
    /** The lock file, through the pinned folder. */
    readonly path: string,
    private readonly nonce: string,
  ) {
    this.#beat = Date.now();
  }

  /** Takes the lock of `partPath` or throws BusyError naming the run that has it. */
  static acquire(partPath: string): PartLock {
    const lockPath = `${partPath}.lock`;
    const folder = lockPath.slice(0, Math.max(lockPath.lastIndexOf('/'), lockPath.lastIndexOf('\\')) + 1);
    for (let round = 0; ; round++) {
      const nonce = take(folder, lockPath);
      if (nonce !== undefined) {
        const lock = new PartLock(lockPath, nonce);
        beating.add(lock);
        startBeats();
        return lock;
      }
      const look = inspect(lockPath);
      if (look.kind === 'taken') sweep(folder);
      // Gone or just taken over: another try (a third loss in a row is a run that keeps winning: busy).
      if (look.kind === 'busy' || round >= 2)
        throw busy(partPath, look.kind === 'busy' ? look.owner : undefined);
    }
  }

  /**
   * Removes the lock of `partPath` if its owner is provably gone: one killed between renaming its `.part` and
   * removing the lock left it beside a finished file, which later runs skip without locking.
   */
  static clearStale(partPath: string): void {
    const lockPath = `${partPath}.lock`;
    if (fs.lstatSync(lockPath, { throwIfNoEntry: false }) === undefined) return;
    try {
      if (inspect(lockPath).kind === 'taken') sweep(lockPath.slice(0, lockPath.lastIndexOf('/') + 1));
    } catch {
      // Not ours to judge (a link, a special file): left for the user.
    }
  }

  /**
   * Throws BusyError if this lock is no longer ours (taken over by a run on another host that found its
   * heartbeat stale). One refreshed within HEARTBEAT_MS cannot have been (that host waits STALE_MS), so short
   * downloads read nothing here.
   */
  check(partPath: string): void {
    if (!this.#lost && Date.now() - this.#beat >= HEARTBEAT_MS) this.#verify();
    if (this.#lost) throw new BusyError(`'${shownPath(partPath)}' was taken over by another dlpool run`);
  }

  /** Removes the lock (not one another run took over). */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    beating.delete(this);
    if (this.#lost) return;
    try {
      fs.unlinkSync(this.path);
    } catch {
      // Already gone: nothing to give back.
    }
  }

  /** A heartbeat: still ours? Then its mtime says so to other hosts. */
  beat(): void {
    this.#verify();
    if (this.#lost) return;
    try {
      const now = new Date();
      fs.utimesSync(this.path, now, now);
      this.#beat = Date.now();
    } catch {
      // A missed beat costs at most a takeover by a run on another host, which check() then notices.
    }
  }

  #verify(): void {
    let text = '';
    try {
      const fd = fs.openSync(this.path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
      try {
        text = readAll(fd);
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      // Gone: not ours any more.
    }
    if (parse(text.split('\n')[0])?.nonce !== this.nonce) this.#lost = true;
  }
}

function busy(partPath: string, owner: Owner | undefined): BusyError {
  const who = owner ? ` (pid ${owner.pid} on ${owner.host})` : '';
  return new BusyError(`'${shownPath(partPath)}' is being written by another dlpool run${who}`);
}

/** Creates a file with its owner line (a lock, or an owner file); false when one is there already. */
function create(file: string, text: string, shown = file): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, CREATE, 0o666);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw fileError(err, 'create', shown);
  }
  try {
    fs.writeSync(fd, text);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
    throw fileError(err, 'write', shown);
  }
  fs.closeSync(fd);
  return true;
}

/**
 * Looks at a lock that is there: its owner is running (busy), or it is stale and this run claims it. The
 * first claim of a living claimer wins; only the winner removes the lock, so the name still holds this very
 * lock when it does (a run that opened it after it was replaced reads the new owner and backs off).
 */
function inspect(lockPath: string): Look {
  let fd: number;
  try {
    fd = fs.openSync(lockPath, CLAIM);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'gone' };
    if (code === 'ELOOP') throw unsafe(lockPath, 'a symbolic link');
    if (code === 'ENXIO' || code === 'ENODEV' || code === 'EISDIR')
      throw unsafe(lockPath, 'not a regular file');
    throw fileError(err, 'open', lockPath);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw unsafe(lockPath, 'not a regular file');
    const owner = parse(readAll(fd).split('\n')[0]);
    // No owner line yet: being created this instant, or left so by a run killed in between (then old).
    if (owner ? alive(owner, st.mtimeMs) : Date.now() - st.mtimeMs < STALE_MS) return { kind: 'busy', owner };
    // Locks of one owner share its file (and the claims appended to it): a claim names the lock it is for.
    const slash = lockPath.lastIndexOf('/');
    const key = `${owner?.nonce ?? ''}:${lockPath.slice(slash + 1)}`;
    const nonce = newNonce();
    const mine: Claim = { ...self(), nonce, claim: key, at: Date.now() };
    fs.writeSync(fd, line(mine));
    const first = readAll(fd)
      .split('\n')
      .slice(1)
      .map((l) => parse(l) as Claim | undefined)
      .find((c) => c !== undefined && c.claim === key && (c.nonce === nonce || alive(c, c.at)));
    if (first?.nonce !== nonce) return { kind: 'busy', owner: first };
    // Still this very lock at the name (its inode cannot be reused while it is open here)? Only then it goes.
    const now = fs.lstatSync(lockPath, { throwIfNoEntry: false });
    if (now?.ino !== st.ino || now.dev !== st.dev) return { kind: 'gone' };
    fs.rmSync(lockPath, { force: true });
    // The dead owner's file goes with its last lock.
    if (owner?.file !== undefined && !owner.file.includes('/') && fs.fstatSync(fd).nlink === 1) {
      const file = lockPath.slice(0, slash + 1) + owner.file;
      const there = fs.lstatSync(file, { throwIfNoEntry: false });
      if (there?.ino === st.ino && there.dev === st.dev) fs.rmSync(file, { force: true });
    }
    return { kind: 'taken' };
  } finally {
    fs.closeSync(fd);
  }
}

/** Locks held by this thread, refreshed every HEARTBEAT_MS by one timer that stops when none is left. */
const beating = new Set<PartLock>();
let beats: NodeJS.Timeout | undefined;

function startBeats(): void {
  if (beats !== undefined) return;
  beats = setInterval(() => {
    if (beating.size === 0) {
      clearInterval(beats);
      beats = undefined;
      return;
    }
    for (const lock of beating) lock.beat();
  }, HEARTBEAT_MS);
  beats.unref();
}
