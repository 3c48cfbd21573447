import { type Dirent, fstatSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { DEFAULT_HASH } from '../hash/algorithms.js';
import { UsageError } from '../errors.js';
import { hashFiles, type HashFilesOptions } from '../verify/hash-files.js';
import { afterDoubleDash, STDIN_TOKEN } from './stdin-token.js';
import { errnoText, fileProblemJson } from './file-problem.js';
import { JsonDocument } from './render/json-doc.js';
import { safeText } from './render/safe-text.js';
import { manifestLine } from '../verify/checksums.js';
import { EXIT } from '../report/summary.js';
import { onInterrupt } from './signals.js';
import { type HashArgs, hashCommand } from './commands/hash.js';
import { libraryOptions } from './from-argv.js';
import { OWN_DIR_NAME } from '../store/layout.js';

/** dlpool's folder in an output directory, in any case (as sanitizeName keeps downloads off the name). */
const OWN_FOLDER = OWN_DIR_NAME;

/** A file found under a directory given with -r, or a folder there that could not be listed (and why). */
type Found = { file: string; error?: undefined } | { file: string; error: string };

/**
 * The regular files under `dir`, as `find DIR -type f | sort` lists them: names joined to `dir`, each folder's
 * entries in byte order, symbolic links not followed (neither to files nor to folders). A folder that cannot be
 * listed is reported in its place and the walk goes on, as find does. A `.dlpool` folder is dlpool's own (shard
 * records, -N's ETags), never a download (no download gets that name): left out.
 */
async function* filesUnder(dir: string): AsyncGenerator<Found> {
  let entries: Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (err) {
    yield { file: dir, error: (err as NodeJS.ErrnoException).code ?? String(err) };
    return;
  }
  entries.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (!OWN_FOLDER.test(e.name)) yield* filesUnder(p);
    } else if (e.isFile()) yield { file: p };
  }
}

/**
 * One digest line. To a pipe or a file it is sha256sum's own format, so `sha256sum -c` reads it (that format
 * escapes only `\`, newline and CR, and writes other control characters raw). On a terminal the name also passes
 * the sanitiser, so an escape sequence in a file name is shown, not obeyed.
 */
function digestLine(hex: string, file: string, toTerminal: boolean): string {
  const line = manifestLine(hex, file);
  return toTerminal ? `${safeText(line.slice(0, -1))}\n` : line;
}

/** `dlpool: NAME: REASON`, through the sanitiser: NAME is a file name, whatever it holds. */
function problemLine(file: string, error: string | undefined, hint = ''): string {
  return `${safeText(`dlpool: ${file}: ${errnoText(error)}${hint}`)}\n`;
}

/**
 * process.stdin, or, when it is a directory (`< DIR`), a stream that fails with EISDIR as sha256sum reports it:
 * Node reads a directory as an empty input, which would print the digest of nothing.
 */
function standardInput(): Readable {
  let directory = false;
  try {
    directory = fstatSync(0).isDirectory();
  } catch {
    // No standard input at all: process.stdin reads as empty, as sha256sum does from /dev/null.
  }
  if (!directory) return process.stdin;
  const err = Object.assign(new Error('-: is a directory'), { code: 'EISDIR' });
  return new Readable({
    read() {
      this.destroy(err);
    },
  });
}

/** `dlpool hash FILES..`: coreutils-format lines in argument order; exit 1 if any file could not be read. */
export async function runHash(a: HashArgs): Promise<void> {
  // Nothing is written but digests on stdout, so nothing to finish: the first signal ends the run.
  const interrupt = onInterrupt(true);
  let failed = 0;
  // (Optional for yargs, so that files after `--` count; at least one is still required.)
  const given = [...(a.files ?? []), ...afterDoubleDash(a._, 'hash')].map((f) =>
    f === STDIN_TOKEN ? '-' : f,
  );
  if (given.length === 0) throw new UsageError('files: give at least one file to hash');
  const files: string[] = [];
  // Folders -r could not list: said on stderr at once, or with --json as results after the files.
  const unlisted: Found[] = [];
  for (const f of given) {
    const isDir =
      a.recursive === true && f !== '-' && (await fs.stat(f).catch(() => undefined))?.isDirectory() === true;
    if (!isDir) files.push(f);
    else
      for await (const found of filesUnder(f)) {
        if (found.error === undefined) files.push(found.file);
        else if (a.json) unlisted.push(found);
        else {
          failed++;
          process.stderr.write(problemLine(found.file, found.error));
        }
      }
  }
  const doc = a.json ? new JsonDocument(process.stdout) : undefined;
  interrupt.beforeExit(() => doc?.stop());
  const toTerminal = process.stdout.isTTY === true;
  const started = performance.now();
  let hashed = 0;
  try {
    await hashFiles(files, {
      ...libraryOptions<HashFilesOptions>(hashCommand.options, a),
      // Only then: on a terminal, merely touching process.stdin sets up a reader of it.
      ...(files.includes('-') ? { stdin: standardInput() } : {}),
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
            error: r.hex === undefined ? fileProblemJson(r.error) : null,
          });
        } else if (r.hex !== undefined) process.stdout.write(digestLine(r.hex, r.file, toTerminal));
        else {
          // A directory without -r: say how to hash what is in it.
          const how =
            r.error === 'EISDIR' && !a.recursive && r.file !== '-'
              ? ` (dlpool hash -r ${r.file} hashes the files in it)`
              : '';
          process.stderr.write(problemLine(r.file, r.error, how));
        }
      },
    });
    for (const u of unlisted) {
      failed++;
      const algorithm = (a.algo ?? DEFAULT_HASH).toLowerCase();
      doc?.result({
        name: u.file,
        status: 'unreadable',
        algorithm,
        hex: null,
        error: fileProblemJson(u.error),
      });
    }
    doc?.finish({ ok: hashed, unreadable: failed, elapsedMs: Math.round(performance.now() - started) });
  } finally {
    doc?.stop();
    interrupt.close();
  }
  process.exitCode = failed > 0 ? EXIT.FAILED : EXIT.OK;
}
