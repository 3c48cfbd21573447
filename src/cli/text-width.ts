import { eastAsianWidth } from 'get-east-asian-width';

/**
 * Columns a string takes on a terminal, for yargs' help layout (the bundled CLI uses this in place of the
 * `string-width` package, whose module start-up builds an Intl.Segmenter and large Unicode regexes: ~20 ms
 * of every run, help shown or not). Printable ASCII, nearly all of our help text, is counted directly; other
 * text by code point: controls and combining marks take 0 columns, East Asian wide and emoji 2.
 */
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)/g;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const ZERO_WIDTH =
  /[\p{Control}\p{Format}\p{Nonspacing_Mark}\p{Enclosing_Mark}\p{Default_Ignorable_Code_Point}]/u;
const EMOJI = /\p{Extended_Pictographic}/u;

export default function textWidth(text: string): number {
  if (typeof text !== 'string' || text === '') return 0;
  if (PRINTABLE_ASCII.test(text)) return text.length;
  let width = 0;
  for (const ch of text.replace(ANSI, '')) {
    if (ZERO_WIDTH.test(ch)) continue;
    if (EMOJI.test(ch) && ch.codePointAt(0)! > 0xff) width += 2;
    else width += eastAsianWidth(ch.codePointAt(0)!);
  }
  return width;
}
