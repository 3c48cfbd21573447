import type { HashPoolKind } from '../hash/hasher.js';
import { UsageError } from '../errors.js';
import { hashFiles } from '../hash/hash-files.js';
import { afterDoubleDash } from './stdin-token.js';
import { errnoText } from './errno-text.js';
import { safeText } from './render/safe-text.js';
import { manifestLine } from '../verify/checksums.js';

export interface HashArgs {
  files?: string[] | undefined;
  _?: (string | number)[] | undefined;
  algo?: string | undefined;
  'hash-pool'?: string | undefined;
  workers?: number | undefined;
}

/** `dlpool hash FILES..`: coreutils-format lines in argument order; exit 1 if any file could not be read. */
export async function runHash(a: HashArgs): Promise<void> {
  let failed = 0;
  // (Optional for yargs, so that files after `--` count; at least one is still required.)
  const files = [...(a.files ?? []), ...afterDoubleDash(a._, 'hash')];
  if (files.length === 0) throw new UsageError('files: give at least one file to hash');
  await hashFiles(files, {
    ...(a.algo !== undefined ? { algorithm: a.algo } : {}),
    ...(a['hash-pool'] !== undefined ? { hashPool: a['hash-pool'] as HashPoolKind } : {}),
    ...(a.workers !== undefined ? { workers: a.workers } : {}),
    onResult: (r) => {
      if (r.hex !== undefined) process.stdout.write(manifestLine(r.hex, r.file));
      else {
        failed++;
        process.stderr.write(`${safeText(`dlpool: ${r.file}: ${errnoText(r.error)}`)}\n`);
      }
    },
  });
  process.exitCode = failed > 0 ? 1 : 0;
}
