import type { DownloadEvent } from '../../events.js';
import { resultJson as toJson } from '../../report/result-json.js';
import type { DownloadSummary } from '../../report/summary.js';
import { runErrorLines, warningLine } from './lines.js';
import type { Output, Renderer } from './renderer.js';
import { JsonDocument } from './json-doc.js';

/** --json for get: one JSON document (see JsonDocument; schemas/get.schema.json). Warnings go to stderr. */
export class JsonRenderer implements Renderer {
  private readonly doc: JsonDocument;

  constructor(
    private readonly io: Output,
    private readonly quiet: boolean,
  ) {
    this.doc = new JsonDocument(io.out);
  }

  onEvent(e: DownloadEvent): void {
    if (e.type === 'warning' && !this.quiet) this.io.err.write(`${warningLine(e)}\n`);
    else if (e.type === 'result') this.doc.result(toJson(e.result));
  }

  finish(s: DownloadSummary): void {
    this.io.err.write(runErrorLines(s));
    const { results: _results, ...totals } = s;
    this.doc.finish({ ...totals, interrupted: totals.interrupted ?? null });
  }

  stop(): void {
    this.doc.stop();
  }
}
