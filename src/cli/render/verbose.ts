import type { HeadersEvent } from '../../events.js';
import { safeText } from './safe-text.js';

/**
 * -v: each request's and response's lines on stderr, curl -v's `> ` and `< `, every line terminal-safe. When
 * downloads can run at once (-j above 1) their lines interleave, so each starts with its entry's number, `[3] `,
 * the number of its result in --json; with -j 1 they read as curl's. Printed with -q too, as curl -sv does: -v
 * was asked for by name.
 */
export function verboseWriter(err: NodeJS.WritableStream, numbered: boolean): (e: HeadersEvent) => void {
  return (e) => {
    const prefix = numbered ? `[${e.id}] ` : '';
    err.write(e.lines.map((l) => `${prefix}${safeText(l)}\n`).join(''));
  };
}
