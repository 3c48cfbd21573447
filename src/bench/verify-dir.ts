import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';

const MiB = 1024 * 1024;

export interface VerifyDirOptions {
  /** Every expected file has exactly this many bytes (checked before its digest, for a clearer message). */
  size?: number | undefined;
}

/**
 * Exactly the expected files (paths relative to `dir`, sub-folders included) with the expected sha256 digests;
 * a one-line description of the first problem otherwise. Used by `dlpool bench` and by the bench harness.
 */
export async function verifyDir(
  dir: string,
  expected: ReadonlyMap<string, string>,
  o: VerifyDirOptions = {},
): Promise<string | undefined> {
  let found: string[];
  try {
    found = await listFiles(dir);
  } catch (err) {
    return `no output dir (${(err as NodeJS.ErrnoException).code ?? String(err)})`;
  }
  const extra = found.filter((f) => !expected.has(f));
  if (extra.length > 0) return `unexpected file ${extra[0]} (${extra.length} in all)`;
  if (found.length !== expected.size) {
    const missing = [...expected.keys()].find((k) => !found.includes(k));
    return `missing ${missing} (${expected.size - found.length} in all)`;
  }
  for (const f of found) {
    const file = path.join(dir, f);
    if (o.size !== undefined) {
      const st = await fsp.lstat(file);
      if (!st.isFile()) return `${f} is not a regular file`;
      if (st.size !== o.size) return `${f} has ${st.size} bytes, expected ${o.size}`;
    }
    const hex = await sha256File(file);
    if (hex !== expected.get(f))
      return `${f}: sha256 ${hex.slice(0, 12)}… is not the expected ${expected.get(f)?.slice(0, 12)}…`;
  }
  return undefined;
}

/** Every file below `dir` (not the folders), as sorted paths relative to it with `/` between parts. */
export async function listFiles(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fsp.readdir(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(dir, r)));
    else out.push(r);
  }
  return out.sort();
}

/** The hex sha256 of a file's bytes. */
export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    fs.createReadStream(file, { highWaterMark: MiB })
      .on('data', (c) => h.update(c))
      .on('end', () => resolve(h.digest('hex')))
      .on('error', reject);
  });
}
