import fs from 'node:fs/promises';
import path from 'node:path';
import type { HashPoolKind } from '../hash/hasher.js';
import { UsageError } from '../errors.js';
import { hashFiles } from '../hash/hash-files.js';
import { afterDoubleDash } from './stdin-token.js';
import { errnoText } from './errno-text.js';
import { JsonDocument } from './render/json-doc.js';
import { safeText } from './render/safe-text.js';
import { manifestLine } from '../verify/checksums.js';

export interface HashArgs {
  files?: string[] | undefined;
  _?: (string | number)[] | undefined;
  algo?: string | undefined;
  'hash-pool'?: string | undefined;
  workers?: number | undefined;
  recursive?: boolean | undefined;
  json?: boolean | undefined;
}

/**
 * The regular files under `dir`, as `find DIR -type f | sort` lists them: names joined to `dir`, each folder's
 * entries in byte order, symbolic links not followed (neither to files nor to folders).
 */
async function* filesUnder(dir: string): AsyncGenerator<string> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  entries.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* filesUnder(p);
    else if (e.isFile()) yield p;
  }
}

/** `dlpool hash FILES..`: coreutils-format lines in argument order; exit 1 if any file could not be read. */
export async function runHash(a: HashArgs): Promise<void> {
  let failed = 0;
  // (Optional for yargs, so that files after `--` count; at least one is still required.)
  const given = [...(a.files ?? []), ...afterDoubleDash(a._, 'hash')];
  if (given.length === 0) throw new UsageError('files: give at least one file to hash');
  const files: string[] = [];
  for (const f of given) {
    const isDir = a.recursive === true && (await fs.stat(f).catch(() => undefined))?.isDirectory() === true;
    if (!isDir) files.push(f);
    else for await (const inner of filesUnder(f)) files.push(inner);
  }
  const doc = a.json ? new JsonDocument(process.stdout) : undefined;
  const started = performance.now();
  let hashed = 0;
  try {
    await hashFiles(files, {
      ...(a.algo !== undefined ? { algorithm: a.algo } : {}),
      ...(a['hash-pool'] !== undefined ? { hashPool: a['hash-pool'] as HashPoolKind } : {}),
      ...(a.workers !== undefined ? { workers: a.workers } : {}),
      onResult: (r) => {
        if (r.hex !== undefined) hashed++;
        else failed++;
        if (doc) {
          const status = r.hex !== undefined ? 'ok' : 'unreadable';
          doc.result({
            name: r.file,
            status,
            algorithm: r.algorithm,
            hex: r.hex ?? null,
            error: r.error ?? null,
          });
        } else if (r.hex !== undefined) process.stdout.write(manifestLine(r.hex, r.file));
        else {
          // A directory without -r: say how to hash what is in it.
          const how =
            r.error === 'EISDIR' && !a.recursive ? ` (dlpool hash -r ${r.file} hashes the files in it)` : '';
          process.stderr.write(`${safeText(`dlpool: ${r.file}: ${errnoText(r.error)}${how}`)}\n`);
        }
      },
    });
    doc?.finish({ ok: hashed, unreadable: failed, elapsedMs: Math.round(performance.now() - started) });
  } finally {
    doc?.stop();
  }
  process.exitCode = failed > 0 ? 1 : 0;
}
