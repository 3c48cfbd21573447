import { safeJson } from './safe-text.js';

interface Sink {
  write(text: string): unknown;
}

/**
 * The one shape of every command's `--json` (get, verify, hash; see schemas/): one JSON document on stdout,
 * written as results come so a million of them are never held:
 *
 *     {"results":[
 *     {...first result...}
 *     ,{...next result...}
 *     ],"total":1,...}
 *
 * One result per line; every result after the first starts with a comma, so a line-by-line reader can take each
 * line (minus that comma) as one result before the run ends. The totals follow the results.
 */
export class JsonDocument {
  private count = 0;
  private opened = false;

  constructor(private readonly out: Sink) {}

  result(value: unknown): void {
    this.open();
    this.out.write(`${this.count++ === 0 ? '' : ','}${safeJson(JSON.stringify(value))}\n`);
  }

  /** Closes the document with the totals (an object whose keys follow "results"). */
  finish(totals: Record<string, unknown>): void {
    this.open();
    this.out.write(`],${safeJson(JSON.stringify(totals)).slice(1)}\n`);
    this.opened = false;
  }

  /** A fatal error or a second Ctrl-C: close a started document, so what is on stdout still parses. */
  stop(): void {
    if (this.opened) this.out.write(']}\n');
    this.opened = false;
  }

  private open(): void {
    if (this.opened) return;
    this.opened = true;
    this.out.write('{"results":[\n');
  }
}
