import fs from 'node:fs';
import path from 'node:path';
import { fileError, symlinkError } from './file-error.js';
import { makeFolders } from '../common/make-folders.js';
import { dropOwnerFile } from './part-lock.js';
import { registerShown, unregisterShown } from '../common/shown-path.js';

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
const OPEN_DIR = O_RDONLY | O_DIRECTORY | O_NONBLOCK;

/**
 * Linux names an open directory `/proc/PID/fd/N`: a path below it resolves inside *that* directory, wherever it
 * has been moved since and whatever now has its old name. Node has no openat(); this is the same guarantee.
 */
const PROC_FD = `/proc/${process.pid}/fd/`;
let pinning: boolean | undefined;
function canPin(): boolean {
  pinning ??= process.platform === 'linux' && fs.existsSync(PROC_FD);
  return pinning;
}

/** Directories kept open between downloads; more are closed as soon as no download uses them. */
const MAX_IDLE_PINS = 256;

interface Pin {
  /** Open descriptor of the directory (undefined where it cannot be pinned: then `prefix` is its path). */
  fd: number | undefined;
  /** What names in the directory are opened through: `/proc/PID/fd/N/` or the path itself. */
  prefix: string;
  /** The directory's real path, for messages. */
  shown: string;
  /** Downloads using it now: it is never closed (and its number never reused) while any does. */
  refs: number;
}

/** Where one download's files are: the final name and `.part` through the pinned directory. */
export interface Site {
  final: string;
  part: string;
  /** The directory is released (closed once unused); the paths above must not be used after. */
  release(): void;
}

/**
 * The output directory and the folders below it. Each folder is opened (pinned) when a download first needs it,
 * component by component from the output directory, refusing a symbolic link or anything but a directory at every
 * step; the download then opens, renames and removes its files through that descriptor. Swapping a folder for a
 * link mid-run (`mv out/sub out/sub.real; ln -s /etc out/sub`) therefore cannot lead a write outside `--dir`:
 * a download already under way writes into the folder it pinned, a new one meets the link and is refused.
 * The output directory itself may be a link (the user's choice); it is pinned once, at the start.
 */
export class DirMaker {
  private readonly root: string;
  private readonly pins = new Map<string, Pin>();
  private readonly madeBelow = new Set<string>();
  private rootEmpty: boolean;

  /** `rootWasEmpty`: the run's first DirMaker found the root empty (download workers are told so). */
  constructor(root: string, rootWasEmpty = false) {
    this.root = path.resolve(root);
    this.rootEmpty = rootWasEmpty;
  }

  /** Whether the output directory held nothing when the run started. */
  get rootWasEmpty(): boolean {
    return this.rootEmpty;
  }

  /**
   * May `rel` (relative to the root, `/`-separated) exist from before this run? Not in a folder that was empty
   * when the run met it (the root at the start, or one this run made): names are unique within a run, so the
   * per-file existence and resume checks (an lstat and a read of NAME.part.meta) are skipped there.
   */
  mayExist(rel: string): boolean {
    if (this.rootEmpty) return false;
    const slash = rel.lastIndexOf('/');
    return slash < 0 || !this.madeBelow.has(rel.slice(0, slash));
  }

  /** Makes and pins the output directory, and notes whether it is empty. Once per run, before any download. */
  open(): void {
    this.rootPin();
  }

  /**
   * The folder of `rel` (a name relative to the root, `/`-separated), pinned until `release()`. With `create`,
   * missing folders are made; without, a missing folder gives undefined (nothing can be in it).
   */
  site(rel: string, create: boolean): Site | undefined {
    const slash = rel.lastIndexOf('/');
    const dir = slash < 0 ? '' : rel.slice(0, slash);
    const pin = this.pin(dir, create);
    if (!pin) return undefined;
    pin.refs++;
    const final = pin.prefix + rel.slice(slash + 1);
    let released = false;
    return {
      final,
      part: `${final}.part`,
      release: () => {
        if (released) return;
        released = true;
        pin.refs--;
        if (this.pins.size > MAX_IDLE_PINS) this.closeIdle();
      },
    };
  }

  /** Closes every pinned directory (the end of the run), and removes this thread's lock owner files. */
  close(): void {
    for (const [dir, pin] of this.pins) this.unpin(dir, pin);
    // Unpinned folders (no /proc) are known by path only: their owner files go now.
    if (!canPin()) dropOwnerFile();
  }

  private rootPin(): Pin {
    let pin = this.pins.get('');
    if (pin) return pin;
    const made = makeFolders(this.root);
    if (!this.rootEmpty) this.rootEmpty = made !== undefined || isEmptyDir(this.root);
    pin = this.openPin(this.root, this.root, false);
    this.pins.set('', pin);
    return pin;
  }

  private pin(dir: string, create: boolean): Pin | undefined {
    const known = this.pins.get(dir);
    if (known && known.fd !== undefined) return known;
    let at = this.rootPin();
    if (dir === '') return at;
    let sub = '';
    for (const name of dir.split('/')) {
      sub = sub === '' ? name : `${sub}/${name}`;
      const cached = this.pins.get(sub);
      if (cached && cached.fd !== undefined) {
        at = cached;
        continue;
      }
      const target = at.prefix + name;
      const shown = path.join(at.shown, name);
      if (create) {
        try {
          fs.mkdirSync(target);
          this.madeBelow.add(sub);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
            throw fileError(err, 'create directory', shown);
        }
      }
      const next = this.openPin(target, shown, true, !create);
      if (!next) return undefined;
      this.pins.set(sub, next);
      at = next;
    }
    return at;
  }

  /** Opens one directory: below the root never through a link, and only a directory. */
  private openPin(target: string, shown: string, below: boolean): Pin;
  private openPin(target: string, shown: string, below: boolean, missingOk: boolean): Pin | undefined;
  private openPin(target: string, shown: string, below: boolean, missingOk = false): Pin | undefined {
    if (!canPin()) {
      // No /proc here: check the folder now, and go by its path.
      let st: fs.Stats;
      try {
        st = fs.lstatSync(target);
      } catch (err) {
        if (missingOk && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw fileError(err, 'create directory', shown);
      }
      if (below && st.isSymbolicLink()) throw symlinkError(shown);
      if (below && !st.isDirectory()) throw notADirectory(shown);
      // Not cached (fd undefined): the next download checks again, at the moment of use.
      return { fd: undefined, prefix: `${target}${path.sep}`, shown, refs: 0 };
    }
    let fd: number;
    try {
      fd = fs.openSync(target, below ? OPEN_DIR | O_NOFOLLOW : OPEN_DIR);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (missingOk && code === 'ENOENT') return undefined;
      // With O_DIRECTORY a link in the last place fails as ENOTDIR (ELOOP without it): lstat tells which.
      if (below && (code === 'ELOOP' || (code === 'ENOTDIR' && isLink(target)))) throw symlinkError(shown);
      if (code === 'ENOTDIR') throw notADirectory(shown);
      throw fileError(err, 'open directory', shown);
    }
    const prefix = `${PROC_FD}${fd}/`;
    registerShown(prefix, shown);
    return { fd, prefix, shown, refs: 0 };
  }

  private closeIdle(): void {
    for (const [dir, pin] of this.pins) {
      if (this.pins.size <= MAX_IDLE_PINS) return;
      if (dir !== '' && pin.refs === 0) this.unpin(dir, pin);
    }
  }

  private unpin(dir: string, pin: Pin): void {
    this.pins.delete(dir);
    if (pin.fd === undefined) return;
    // (Before the descriptor closes: its number, and so the prefix, may name another folder afterwards.)
    dropOwnerFile(pin.prefix);
    unregisterShown(pin.prefix);
    try {
      fs.closeSync(pin.fd);
    } catch {}
    pin.fd = undefined;
  }
}

function isLink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

function notADirectory(p: string) {
  return fileError(Object.assign(new Error('not a directory'), { code: 'ENOTDIR' }), 'create directory', p);
}

function isEmptyDir(dir: string): boolean {
  const d = fs.opendirSync(dir);
  try {
    return d.readSync() === null;
  } finally {
    d.closeSync();
  }
}
