/**
 * Control characters that a terminal acts on (C0 but tab, DEL, C1: ESC and CSI start colour, title and
 * cursor sequences) and the characters that reorder or break what is shown (bidi embeddings, overrides and
 * isolates, line and paragraph separators).
 */
const UNSAFE = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

/**
 * Text for the terminal: every unsafe character shown as an escape (`\x1b`, `\u202e`) instead of acted on.
 * The one sanitiser at the output boundary: result, warning and error lines, bar labels, verify and hash
 * lines all pass through it, whatever their text came from (a server, a list, a file name, an error).
 */
export function safeText(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const n = c.codePointAt(0)!;
    return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
  });
}

/** Several lines (a stack trace) for the terminal: each line through safeText, the line breaks kept. */
export function safeLines(text: string): string {
  return text.split('\n').map(safeText).join('\n');
}

/** What JSON.stringify leaves raw but a terminal would act on or reorder: DEL, C1, bidi and line separators. */
const JSON_UNSAFE = /[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

/** JSON text with those characters as `\u` escapes: the same document to a parser, inert on a terminal. */
export function safeJson(json: string): string {
  return json.replace(JSON_UNSAFE, (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`);
}
