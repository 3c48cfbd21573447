import fs from 'node:fs';
import { mergeShards } from '../shards/merge.js';
import { EXIT } from '../report/summary.js';
import { safeText } from './render/safe-text.js';

export interface MergeArgs {
  dir?: string | undefined;
  manifest?: string | undefined;
  failed?: string | undefined;
}

/** Written whole under a temporary name, then renamed. */
function replaceFile(file: string, text: string): void {
  fs.writeFileSync(`${file}.part`, text);
  fs.renameSync(`${file}.part`, file);
}

/**
 * `dlpool merge DIR`: the manifest of every finished shard in list order (stdout, or --manifest FILE), the failed
 * entries on stderr (their URLs in --failed FILE, a list `dlpool get` takes), and the totals; exit 0 only when
 * every shard is finished and nothing failed.
 */
export async function runMerge(a: MergeArgs): Promise<void> {
  const dir = a.dir ?? '.';
  const sums: string[] = [];
  const summary = await mergeShards(dir, (text) => {
    if (a.manifest === undefined) process.stdout.write(text);
    else sums.push(text);
  });
  if (a.manifest !== undefined) replaceFile(a.manifest, sums.join(''));
  for (const f of summary.failed) {
    process.stderr.write(
      `${safeText(`FAILED      ${f.url} [${f.code}] (${f.source}:${f.line}): ${f.message}`)}\n`,
    );
  }
  if (a.failed !== undefined) replaceFile(a.failed, summary.failed.map((f) => `${f.url}\n`).join(''));
  for (const k of summary.missing) {
    process.stderr.write(`dlpool merge: shard ${k} of ${summary.of} is not finished (no ${k}.done)\n`);
  }
  process.stderr.write(
    `dlpool merge: ${summary.done} of ${summary.of} shards, ${summary.entries} entries: ${summary.downloaded} downloaded, ` +
      `${summary.skipped} skipped (already present), ${summary.failed.length} failed\n`,
  );
  process.exitCode = summary.failed.length > 0 || summary.missing.length > 0 ? EXIT.FAILED : EXIT.OK;
}
