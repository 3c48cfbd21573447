import { count } from './format.js';
import { errnoText, fileProblemJson } from './file-problem.js';
import { JsonDocument } from './render/json-doc.js';
import { safeText } from './render/safe-text.js';
import { onInterrupt } from './signals.js';
import { STDIN_TOKEN } from './stdin-token.js';
import { EXIT } from '../report/summary.js';
import { verify, type VerifyOptions, type VerifyStatus } from '../verify/verify.js';
import { type VerifyArgs, verifyCommand } from './commands/verify.js';
import { libraryOptions } from './from-argv.js';

/** Text lines say what `sha256sum -c` says, so scripts written for it read dlpool's too. */
const SHA256SUM_WORDS: Record<VerifyStatus, string> = {
  ok: 'OK',
  failed: 'FAILED',
  unreadable: 'FAILED open or read',
};

/** `dlpool verify SUMS`: lines like `sha256sum -c`, a summary, exit 0 only when every file matches. */
export async function runVerify(a: VerifyArgs): Promise<void> {
  const interrupt = onInterrupt();
  const doc = a.json ? new JsonDocument(process.stdout) : undefined;
  try {
    const summary = await verify({
      ...(a.sums === STDIN_TOKEN ? { sums: '-', stdin: process.stdin } : { sums: a.sums ?? '' }),
      ...libraryOptions<Partial<VerifyOptions>>(verifyCommand.options, a),
      signal: interrupt.signal,
      keepResults: false,
      onResult: (r) => {
        if (doc) {
          doc.result({
            name: r.name,
            line: r.line,
            status: r.status,
            algorithm: r.algorithm,
            expected: r.expected,
            actual: r.actual ?? null,
            error: r.status === 'unreadable' ? fileProblemJson(r.error) : null,
          });
          return;
        }
        // As sha256sum -c: why a file could not be read, on stderr, before its line.
        if (r.status === 'unreadable') {
          process.stderr.write(`${safeText(`dlpool: ${r.name}: ${errnoText(r.error)}`)}\n`);
        }
        if (r.status !== 'ok' || !a.quiet) {
          process.stdout.write(`${safeText(r.name)}: ${SHA256SUM_WORDS[r.status]}\n`);
        }
      },
    });
    if (doc) {
      const { results: _none, ...totals } = summary;
      doc.finish({
        ...totals,
        interrupted: interrupt.signal.aborted ? (interrupt.signal.reason as string) : null,
      });
    } else {
      for (const b of summary.badLines) process.stderr.write(`${safeText(`dlpool: warning: ${b}`)}\n`);
      if (summary.unreadable > 0) {
        const files = count(summary.unreadable, 'listed file');
        process.stderr.write(`dlpool: WARNING: ${files} could not be read\n`);
      }
      if (summary.failed > 0) {
        const sums = count(summary.failed, 'computed checksum');
        process.stderr.write(`dlpool: WARNING: ${sums} did NOT match\n`);
      }
      if (!a.quiet) {
        process.stderr.write(
          `dlpool: ${summary.ok} OK, ${summary.failed} FAILED, ${summary.unreadable} unreadable in ${(summary.elapsedMs / 1000).toFixed(2)} s\n`,
        );
      }
    }
    const bad = summary.failed + summary.unreadable > 0 || summary.ok === 0;
    process.exitCode = interrupt.exitCode() ?? (bad ? EXIT.FAILED : EXIT.OK);
  } finally {
    // A failure after results were written: what is on stdout still parses.
    doc?.stop();
    interrupt.close();
  }
}
