import type { DownloadEvent, FileResult } from '../../events.js';
import type { DownloadSummary } from '../../report/summary.js';
import { warningLine } from './lines.js';
import type { Output, Renderer } from './renderer.js';

/** --json: one JSON document on stdout at the end, nothing else there. Warnings still go to stderr. */
export class JsonRenderer implements Renderer {
  constructor(
    private readonly io: Output,
    private readonly quiet: boolean,
  ) {}

  onEvent(e: DownloadEvent): void {
    if (e.type === 'warning' && !this.quiet) this.io.err.write(`${warningLine(e)}\n`);
  }

  finish(s: DownloadSummary): void {
    const { results, ...totals } = s;
    const doc = { ...totals, interrupted: totals.interrupted ?? null, results: results.map(toJson) };
    this.io.out.write(`${JSON.stringify(doc, null, 2)}\n`);
  }

  stop(): void {}
}

function toJson(r: FileResult) {
  return {
    url: r.url,
    source: r.source,
    line: r.line,
    path: r.path ?? null,
    status: r.status,
    bytes: r.bytes,
    attempts: r.attempts,
    ms: r.ms,
    resumed: r.resumed,
    digest: r.digest
      ? { algorithm: r.digest.algorithm, hex: r.digest.hex, verified: r.digest.verified }
      : null,
    error: r.error ? { code: r.error.code, message: r.error.message, errno: r.error.errno ?? null } : null,
  };
}
