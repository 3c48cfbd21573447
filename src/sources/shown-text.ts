import { redactText } from '../errors.js';

/** How much of an offending line is kept in ListLineError.text. */
const MAX_TEXT = 200;

/** The text as it may appear in a report: trimmed, credentials removed, control characters escaped, short. */
export function shownText(text: string): string {
  const t = redactText(text.trim()).replace(
    /[\x00-\x1f\x7f-\x9f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
  return t.length > MAX_TEXT ? `${t.slice(0, MAX_TEXT - 3)}...` : t;
}
