import fs from 'node:fs';
import path from 'node:path';
import { reasonOf } from '../errno-text.js';
import { DlpoolError, errnoOf } from '../errors.js';
import { shownPath } from './shown-path.js';

/**
 * `mkdir -p dir`, one folder at a time from the top; every folder dlpool makes for a path it was given goes
 * through here. Node's recursive mkdir never returns on some paths (`/proc/x`: it spins, deaf to signals);
 * one level at a time fails there at once (ENOENT). Folders that exist may be links, as `mkdir -p` follows
 * them: the path is the user's. Returns the first folder made (undefined when all were there), as
 * `fs.mkdirSync(dir, { recursive: true })` does.
 * Throws ERR_DL_FILE naming the folder that could not be made (`dir` itself when a file is in its way).
 */
export function makeFolders(dir: string): string | undefined {
  const full = path.resolve(dir);
  let at = path.parse(full).root;
  let first: string | undefined;
  for (const name of full.slice(at.length).split(path.sep)) {
    if (name === '') continue;
    at = path.join(at, name);
    try {
      fs.mkdirSync(at);
      first ??= at;
      continue;
    } catch (err) {
      if (errnoOf(err) !== 'EEXIST') throw folderError(at, err);
    }
    let isDir = false;
    try {
      isDir = fs.statSync(at).isDirectory();
    } catch (err) {
      // A link to nowhere: mkdir saw the name, stat cannot follow it.
      throw folderError(at, err);
    }
    if (!isDir) throw folderError(full, Object.assign(new Error('not a directory'), { code: 'ENOTDIR' }));
  }
  return first;
}

/** As mkdir(1) says it: `cannot create directory 'FOLDER': No such file or directory`. */
function folderError(p: string, cause: unknown): DlpoolError {
  const reason = reasonOf(cause);
  return new DlpoolError('ERR_DL_FILE', `cannot create directory '${shownPath(p)}': ${reason}`, { cause });
}
