import type { DownloadEvent, FileResult } from '../../events.js';
import type { DownloadSummary } from '../../report/summary.js';
import { runErrorLines, warningLine } from './lines.js';
import type { Output, Renderer } from './renderer.js';
import { safeJson } from './safe-text.js';

/**
 * --json: one JSON document on stdout, written as the run goes so a million results are never held:
 *
 *     {"results":[
 *     {"url":...,"status":"downloaded",...}
 *     ,{"url":...,"status":"failed",...}
 *     ],"downloaded":1,"skipped":0,"failed":1,...}
 *
 * One result per line, in the order they finished; every result after the first starts with a comma, so a
 * line-by-line reader can take each line (minus that comma) as one result before the run ends.
 * Nothing else goes to stdout; warnings go to stderr.
 */
export class JsonRenderer implements Renderer {
  /** Results written so far; the opening `{"results":[` goes out with the first (or at the end). */
  private count = 0;
  private opened = false;

  constructor(
    private readonly io: Output,
    private readonly quiet: boolean,
  ) {}

  onEvent(e: DownloadEvent): void {
    if (e.type === 'warning' && !this.quiet) this.io.err.write(`${warningLine(e)}\n`);
    else if (e.type === 'result') {
      this.open();
      this.io.out.write(`${this.count++ === 0 ? '' : ','}${safeJson(JSON.stringify(toJson(e.result)))}\n`);
    }
  }

  finish(s: DownloadSummary): void {
    this.io.err.write(runErrorLines(s));
    const { results: _results, ...totals } = s;
    const doc = safeJson(JSON.stringify({ ...totals, interrupted: totals.interrupted ?? null }));
    this.open();
    this.io.out.write(`],${doc.slice(1)}\n`);
    this.opened = false;
  }

  /** Fatal error or second Ctrl-C: close a started document, so what is on stdout still parses. */
  stop(): void {
    if (this.opened) this.io.out.write(']}\n');
    this.opened = false;
  }

  private open(): void {
    if (this.opened) return;
    this.opened = true;
    this.io.out.write('{"results":[\n');
  }
}

function toJson(r: FileResult) {
  return {
    url: r.url,
    source: r.source,
    line: r.line,
    path: r.path ?? null,
    status: r.status,
    bytes: r.bytes,
    transferred: r.transferred,
    attempts: r.attempts,
    ms: r.ms,
    resumed: r.resumed,
    digest: r.digest
      ? { algorithm: r.digest.algorithm, hex: r.digest.hex, verified: r.digest.verified }
      : null,
    error: r.error
      ? {
          code: r.error.code,
          message: r.error.message,
          errno: r.error.errno ?? null,
          status: r.error.status ?? null,
        }
      : null,
  };
}
