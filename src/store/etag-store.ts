import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { DirMaker } from '../file/dirs.js';
import { readOwnSmallSync, replaceOwnFileSync } from './own-files.js';
import { ETAGS_REL } from './layout.js';

/**
 * Where -N keeps the ETag a download came with, so the next -N run can ask If-None-Match: one small JSON file per
 * downloaded file under DIR/.dlpool/etags/, named by the sha256 of the file's name. Inside dlpool's own folder
 * (no list entry can be named `.dlpool`: see sanitizeName) and never named like a download, so merge, verify and
 * manifests never take it for one; one file per download, written whole and renamed (OwnFileWriter), so worker
 * threads and concurrent runs never share a file to lock. Only -N runs read or write here.
 *
 * A record speaks for the file only while the file is the one it was written for: same size, time and inode.
 * A file replaced since (by hand, or by a run without -N) falls back to If-Modified-Since.
 */
export interface KeptEtag {
  etag: string;
  /** The URL (as shown) that sent it: an ETag is only sent back to the server that gave it. */
  from: string;
}

/** A record is a few hundred bytes; anything much larger is not one. */
const MAX_RECORD_BYTES = 16 * 1024;
/** An ETag as a header can carry it back: quoted, strong or weak, no control characters. */
const ETAG = /^(?:W\/)?"[\x21\x23-\x7e\x80-\xff]*"$/;

function recordName(rel: string): string {
  return `${ETAGS_REL}/${createHash('sha256').update(rel).digest('hex')}.json`;
}

/** The ETag kept for `rel` whose file is `file` now, or undefined (none, unreadable, or the file changed since). */
export function readKeptEtag(dirs: DirMaker, rel: string, file: fs.Stats): KeptEtag | undefined {
  try {
    const site = dirs.site(recordName(rel), false);
    if (!site) return undefined;
    try {
      const text = readOwnSmallSync(site.final, MAX_RECORD_BYTES);
      if (text === undefined) return undefined;
      const r = JSON.parse(text) as Record<string, unknown>;
      const same =
        r['v'] === 1 &&
        r['name'] === rel &&
        r['size'] === file.size &&
        r['mtimeMs'] === file.mtimeMs &&
        r['ino'] === file.ino;
      const { etag, from } = r;
      if (!same || typeof etag !== 'string' || !ETAG.test(etag) || typeof from !== 'string') return undefined;
      return { etag, from };
    } finally {
      site.release();
    }
  } catch {
    // A link, a FIFO or a folder in the way, or a record that does not parse: no ETag, the file's time is asked.
    return undefined;
  }
}

/**
 * After a -N download of `rel` (now the file `final`): keeps its ETag, or removes a record an earlier one left
 * when this answer had none. A record that cannot be written costs only the next run's If-None-Match.
 */
export function keepEtag(dirs: DirMaker, rel: string, final: string, kept: KeptEtag | undefined): void {
  try {
    const usable = kept !== undefined && ETAG.test(kept.etag);
    const site = dirs.site(recordName(rel), usable);
    if (!site) return;
    try {
      if (!usable) {
        fs.rmSync(site.final, { force: true });
        return;
      }
      const st = fs.lstatSync(final);
      const record = {
        v: 1,
        name: rel,
        etag: kept.etag,
        from: kept.from,
        size: st.size,
        mtimeMs: st.mtimeMs,
        ino: st.ino,
      };
      replaceOwnFileSync(site.final, `${JSON.stringify(record)}\n`);
    } finally {
      site.release();
    }
  } catch {
    // (See above: the next -N run asks If-Modified-Since instead.)
  }
}
