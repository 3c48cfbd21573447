import fs from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.js';
import type { SourceItem } from '../sources/types.js';

// `output` (curl -o, wget -O): the run's one URL saved under a name of the caller's choosing.

/** Where `output` puts the run's one file: its folder (the run's output directory from then on) and its name. */
export interface OutputFile {
  dir: string;
  name: string;
}

/**
 * `-`: the body goes to `stdout`. Else the file `output` names, relative to `dir` (the current folder unless `dir` was given, as curl's -o with
 * --output-dir); an absolute path is taken as it is. Throws a UsageError when it names no file.
 */
export function outputFile(dir: string, output: unknown, stdout: unknown): OutputFile | '-' | undefined {
  if (output === undefined) return undefined;
  if (output === '-') {
    // The library writes to no stream of its own, as it reads none (see `stdin`).
    if (typeof (stdout as { write?: unknown } | undefined)?.write !== 'function') {
      throw new UsageError('output: - writes the body to the stream given as stdout, and none was given');
    }
    return '-';
  }
  if (typeof output !== 'string' || output === '') throw new UsageError('output: expected a file name');
  const last = output.split(/[/\\]/).at(-1);
  if (last === '' || last === '.' || last === '..') {
    throw new UsageError(`output: '${output}' names no file (it ends with a separator, '.' or '..')`);
  }
  const file = path.resolve(dir, output);
  return { dir: path.dirname(file), name: path.basename(file) };
}

/** A folder where the file should go would take its place: said before anything is fetched. */
export async function checkOutputFile(target: OutputFile, given: string): Promise<void> {
  const st = await fs.stat(path.join(target.dir, target.name)).catch(() => undefined);
  if (st?.isDirectory()) throw new UsageError(`output: '${given}' is a folder; give the file's name`);
}

/**
 * The sources of a run with `output`: read to their end first (nothing is fetched before), they must hold
 * exactly one entry (a bad list line counts as one); it gets `name` as its out=, in the run's output directory
 * (a list's dir= and out= give way to it). Warnings are passed on.
 */
export async function oneEntry(
  items: AsyncIterable<SourceItem>,
  name: string | undefined,
): Promise<AsyncIterable<SourceItem>> {
  const held: SourceItem[] = [];
  let entries = 0;
  for await (const item of items) {
    if (item.kind !== 'warning' && ++entries > 1) {
      throw new UsageError(
        'output: saves a run of exactly one URL; the sources hold more than one (drop -o to keep their names)',
      );
    }
    held.push(item.kind === 'entry' && name !== undefined ? { ...item, out: name, dir: undefined } : item);
  }
  if (entries === 0) throw new UsageError('output: saves a run of exactly one URL; the sources hold none');
  return (async function* () {
    yield* held;
  })();
}
