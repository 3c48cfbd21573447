import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { fileError } from '../fetch/classify.js';

/** Data arrives in `NAME.part`; only a complete (and, later, verified) file is renamed to `NAME`. */
export function partPathOf(finalPath: string): string {
  return `${finalPath}.part`;
}

/** Opens the `.part` file for writing at `offset` (0 truncates). Errors name the path. */
export async function openPart(
  partPath: string,
  offset: number,
  highWaterMark: number,
): Promise<fs.WriteStream> {
  const ws = fs.createWriteStream(partPath, { flags: offset > 0 ? 'r+' : 'w', start: offset, highWaterMark });
  await new Promise<void>((resolve, reject) => {
    ws.once('ready', () => resolve());
    ws.once('error', (err) => reject(fileError(err, 'open', partPath)));
  });
  return ws;
}

/** Bytes actually on disk in the `.part` file: after a failed attempt this, not the bytes received, is the resume offset. */
export async function partSize(partPath: string): Promise<number> {
  try {
    return (await fsp.stat(partPath)).size;
  } catch {
    return 0;
  }
}

export async function commitPart(partPath: string, finalPath: string): Promise<void> {
  try {
    await fsp.rename(partPath, finalPath);
  } catch (err) {
    throw fileError(err, 'rename to', finalPath);
  }
}

/** Removes a `.part` file that holds nothing worth resuming. */
export async function discardPart(partPath: string): Promise<void> {
  await fsp.rm(partPath, { force: true }).catch(() => {});
}

/** Existing regular file under the final name? Returns its size, or undefined. */
export async function existingSize(finalPath: string): Promise<number | undefined> {
  try {
    const st = await fsp.stat(finalPath);
    if (st.isFile()) return st.size;
    throw fileError(Object.assign(new Error('not a regular file'), { code: 'EISDIR' }), 'write', finalPath);
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** mkdir -p, remembered per run so 10,000 files in one folder cost one call. */
export class DirMaker {
  private readonly made = new Map<string, Promise<void>>();
  ensure(dir: string): Promise<void> {
    let p = this.made.get(dir);
    if (!p) {
      p = fsp.mkdir(dir, { recursive: true }).then(
        () => undefined,
        (err: unknown) => {
          this.made.delete(dir);
          throw fileError(err, 'create directory', dir);
        },
      );
      this.made.set(dir, p);
    }
    return p;
  }
}

export function parentDir(p: string): string {
  return path.dirname(p);
}
