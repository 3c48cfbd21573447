import type { DownloadEvent } from '../../events.js';
import type { DownloadSummary } from '../../report/summary.js';
import { resultLine, runErrorLines, totalsLine, warningLine } from './lines.js';
import type { Output, Renderer } from './renderer.js';

/**
 * Not a TTY: one plain line per finished or failed entry on stdout, warnings on stderr, a totals line at the
 * end. No escape codes. With quiet, only failures (stderr) are printed.
 */
export class PlainRenderer implements Renderer {
  constructor(
    private readonly io: Output,
    private readonly quiet: boolean,
    /** --progress none: no per-file lines, but still failures and the totals. */
    private readonly perFile = true,
    /** --dir as typed, which failure lines name their files under. */
    private readonly dir = '',
    /** --spider: the totals say what was checked. */
    private readonly spider = false,
  ) {}

  onEvent(e: DownloadEvent): void {
    if (e.type === 'warning') {
      if (!this.quiet) this.io.err.write(`${warningLine(e)}\n`);
    } else if (e.type === 'result') {
      if (e.result.status === 'failed') this.io.err.write(`${resultLine(e.result, this.dir)}\n`);
      else if (!this.quiet && this.perFile) this.io.out.write(`${resultLine(e.result, this.dir)}\n`);
    }
  }

  finish(s: DownloadSummary): void {
    this.io.err.write(runErrorLines(s));
    if (!this.quiet) this.io.out.write(`${totalsLine(s, this.spider)}\n`);
  }

  stop(): void {}
}
