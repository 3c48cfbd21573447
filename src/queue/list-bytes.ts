import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { BadRecord, type ShardJob } from './job-data.js';

/**
 * A job's list is read only under the folder the worker was told to trust (`--list-root`): a job names any path
 * it likes, and the byte check alone would be an oracle on any readable file (a one-byte range and the 256 hashes
 * of one byte tell that byte by which job succeeds). The path is resolved (links and `..` included) before it is
 * compared, so a link inside the root that points out is refused like the path it points to.
 */
export async function trustedRoot(root: string): Promise<string> {
  return fsp.realpath(root);
}

/** Is `file` strictly below `root` (both resolved)? */
export function inside(root: string, file: string): boolean {
  const rel = path.relative(root, file);
  return rel !== '' && !rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel);
}

function reason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'no such file' : (code ?? String(err));
}

/**
 * The shard's bytes, exactly [offset, end) of the list and checked against the job's sha256 before a byte of
 * them is used; the caller parses these bytes, never the file again (a list swapped after the check is not read).
 * The list must be a regular file under `root` (a FIFO, a device such as /dev/zero, a directory are refused; it
 * is opened non-blocking, so a FIFO cannot hold the open) at least `end` bytes long. Throws BadRecord naming the
 * list (as the job gives it) and the reason, never its content. `file` is the list's real path.
 */
export async function readShardBytes(job: ShardJob, root: string): Promise<{ bytes: Buffer; file: string }> {
  const named = `list '${job.list}'`;
  let real: string;
  try {
    real = await fsp.realpath(path.resolve(root, job.list));
  } catch (err) {
    throw new BadRecord(`cannot read ${named}: ${reason(err)}`);
  }
  if (!inside(root, real)) throw new BadRecord(`${named} is not under --list-root '${root}': refused`);
  let handle: fsp.FileHandle | undefined;
  try {
    const { O_RDONLY, O_NONBLOCK, O_NOFOLLOW } = fs.constants;
    handle = await fsp.open(real, O_RDONLY | O_NONBLOCK | O_NOFOLLOW);
    const st = await handle.stat();
    if (!st.isFile()) throw new BadRecord(`${named} is not a regular file: refused`);
    const changed =
      `${named} changed since it was added (shard ${job.shard}, bytes ${job.offset}-${job.end}): ` +
      'add the new list (dlpool queue add)';
    if (st.size < job.end) throw new BadRecord(changed);
    const bytes = Buffer.allocUnsafe(job.end - job.offset);
    for (let at = 0; at < bytes.length;) {
      const { bytesRead } = await handle.read(bytes, at, bytes.length - at, job.offset + at);
      if (bytesRead === 0) throw new BadRecord(changed);
      at += bytesRead;
    }
    if (createHash('sha256').update(bytes).digest('hex') !== job.bytes) throw new BadRecord(changed);
    return { bytes, file: real };
  } catch (err) {
    if (err instanceof BadRecord) throw err;
    throw new BadRecord(`cannot read ${named}: ${reason(err)}`);
  } finally {
    await handle?.close().catch(() => {});
  }
}
