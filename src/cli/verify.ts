import type { HashPoolKind } from '../hash/hasher.js';
import { errnoText } from './errno-text.js';
import { safeJson, safeText } from './render/safe-text.js';
import { verify } from '../verify/verify.js';

export interface VerifyArgs {
  sums?: string | undefined;
  dir?: string | undefined;
  'hash-pool'?: string | undefined;
  workers?: number | undefined;
  json?: boolean | undefined;
  quiet?: boolean | undefined;
}

/** `dlpool verify SUMS`: lines like `sha256sum -c`, a summary, exit 0 only when every file matches. */
export async function runVerify(a: VerifyArgs): Promise<void> {
  const controller = new AbortController();
  const onInt = () => controller.abort('SIGINT');
  process.once('SIGINT', onInt);
  // --json: the same document as JSON.stringify(summary, null, 2), written as the results come (a checksum
  // file of a million lines is never held in memory, neither are its results).
  let jsonStarted = false;
  const writeJson = (text: string) => process.stdout.write(safeJson(text));
  try {
    const summary = await verify({
      sums: a.sums ?? '',
      ...(a.dir !== undefined ? { dir: a.dir } : {}),
      ...(a['hash-pool'] !== undefined ? { hashPool: a['hash-pool'] as HashPoolKind } : {}),
      ...(a.workers !== undefined ? { workers: a.workers } : {}),
      signal: controller.signal,
      keepResults: false,
      onResult: (r) => {
        if (a.json) {
          const item = JSON.stringify(r, null, 2).replace(/\n/g, '\n    ');
          writeJson(`${jsonStarted ? ',\n' : '{\n  "results": [\n'}    ${item}`);
          jsonStarted = true;
          return;
        }
        // As sha256sum -c: why a file could not be read, on stderr, before its line.
        if (r.status === 'FAILED open or read') {
          process.stderr.write(`${safeText(`dlpool: ${r.name}: ${errnoText(r.error)}`)}\n`);
        }
        const line = `${safeText(r.name)}: ${r.status}\n`;
        if (r.status === 'OK') {
          if (!a.quiet) process.stdout.write(line);
        } else process.stdout.write(line);
      },
    });
    if (a.json) {
      const { results: _none, ...rest } = summary;
      const tail = JSON.stringify(rest, null, 2).slice(1);
      writeJson(`${jsonStarted ? '\n  ],' : '{\n  "results": [],'}${tail}\n`);
    } else {
      for (const b of summary.badLines) process.stderr.write(`${safeText(`dlpool: warning: ${b}`)}\n`);
      if (summary.unreadable > 0) {
        process.stderr.write(`dlpool: WARNING: ${summary.unreadable} listed file(s) could not be read\n`);
      }
      if (summary.failed > 0) {
        process.stderr.write(`dlpool: WARNING: ${summary.failed} computed checksum(s) did NOT match\n`);
      }
      if (!a.quiet) {
        process.stderr.write(
          `dlpool: ${summary.ok} OK, ${summary.failed} FAILED, ${summary.unreadable} unreadable in ${(summary.elapsedMs / 1000).toFixed(2)} s\n`,
        );
      }
    }
    const bad = summary.failed + summary.unreadable > 0 || summary.ok === 0;
    process.exitCode = controller.signal.aborted ? 130 : bad ? 1 : 0;
  } finally {
    process.off('SIGINT', onInt);
  }
}
