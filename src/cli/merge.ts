import path from 'node:path';
import { DlpoolError } from '../errors.js';
import { makeFolders } from '../common/make-folders.js';
import { OwnFileWriter } from '../store/own-files.js';
import { mergeShards } from '../shards/merge.js';
import { EXIT } from '../report/summary.js';
import { failureLine } from './render/lines.js';
import { safeText } from './render/safe-text.js';
import type { MergeArgs } from './commands/merge.js';
import { onInterrupt } from './signals.js';

/** A FILE named on the command line that cannot be written is an input error (exit 2), as for `get`. */
function asInput(err: unknown): unknown {
  return err instanceof DlpoolError && err.code === 'ERR_DL_FILE'
    ? new DlpoolError('ERR_DL_INPUT', err.message, { cause: err })
    : err;
}

/** FILE, its folder made first (as `get --manifest` does). */
function create(file: string): OwnFileWriter {
  try {
    makeFolders(path.dirname(path.resolve(file)));
    return OwnFileWriter.create(file);
  } catch (err) {
    throw asInput(err);
  }
}

/** `3`, or `3-7` for a run of shards. */
function runsOf(ks: number[]): string[] {
  const runs: string[] = [];
  for (let i = 0; i < ks.length;) {
    let j = i;
    while (j + 1 < ks.length && ks[j + 1] === ks[j]! + 1) j++;
    runs.push(i === j ? `${ks[i]}` : `${ks[i]}-${ks[j]}`);
    i = j + 1;
  }
  return runs;
}

/**
 * `dlpool merge DIR`: the manifest of every finished shard in list order (stdout, or --manifest FILE), the failed
 * entries on stderr (their URLs in --failed FILE, a list `dlpool get` takes), and the totals; exit 0 only when
 * every shard is finished and nothing failed, 2 (no FILE written) when DIR's shard files are not what dlpool
 * writes. FILEs are written under a new temporary name and renamed: complete, or not there at all.
 */
export async function runMerge(a: MergeArgs): Promise<void> {
  // Nothing to finish that a rerun would not redo: the first signal ends it, without its temporary files.
  const interrupt = onInterrupt(true);
  const files: OwnFileWriter[] = [];
  interrupt.beforeExit(() => files.forEach((f) => f.discard()));
  try {
    await merge(a, (file) => {
      const w = create(file);
      files.push(w);
      return w;
    });
  } finally {
    interrupt.close();
  }
}

async function merge(a: MergeArgs, writer: (file: string) => OwnFileWriter): Promise<void> {
  const dir = a.dir ?? '.';
  const manifest = a.manifest === undefined ? undefined : writer(a.manifest);
  let summary;
  try {
    summary = await mergeShards(dir, (text) => {
      // The lines are checked (no control characters); the sanitiser keeps it so whatever comes.
      if (manifest) manifest.write(text);
      else process.stdout.write(text.split('\n').map(safeText).join('\n'));
    });
    manifest?.commit();
  } catch (err) {
    manifest?.discard();
    throw asInput(err);
  }
  // As `get` says them (the message names the request, or the list line); the shards do not keep the path.
  for (const f of summary.failed) {
    const line = failureLine({ ...f, path: undefined, error: { code: f.code, message: f.message } });
    process.stderr.write(`${line}\n`);
  }
  if (a.failed !== undefined) {
    const failed = writer(a.failed);
    try {
      failed.write(summary.failed.map((f) => `${f.url}\n`).join(''));
      failed.commit();
    } catch (err) {
      throw asInput(err);
    }
  }
  const say = (text: string) => process.stderr.write(`${safeText(`dlpool merge: ${text}`)}\n`);
  for (const run of runsOf(summary.missing)) {
    const one = !run.includes('-');
    say(
      `shard${one ? '' : 's'} ${run} of ${summary.of} ${one ? 'is' : 'are'} not finished (no ${one ? `${run}.done` : 'K.done'})`,
    );
  }
  say(
    `${summary.done} of ${summary.of} shards, ${summary.entries} entries: ${summary.downloaded} downloaded, ` +
      `${summary.skipped} skipped (already present), ${summary.failed.length} failed`,
  );
  process.exitCode = summary.failed.length > 0 || summary.missing.length > 0 ? EXIT.FAILED : EXIT.OK;
}
