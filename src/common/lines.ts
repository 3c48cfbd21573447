import { StringDecoder } from 'node:string_decoder';

/** Longest usable line, in UTF-16 code units. Longer lines are ListLineErrors. */
export const MAX_LINE_LENGTH = 8192;
/**
 * Bytes of one line that reach linesOf. A UTF-8 byte sequence decodes to at least a third as many code units,
 * so a line cut here is still recognisably too long, and a file with no newlines never sits in memory whole.
 */
const MAX_LINE_BYTES = MAX_LINE_LENGTH * 3 + 3;

/**
 * Text lines from UTF-8 byte chunks, a batch per chunk (an await per chunk, not per line: readline's per-line
 * async iteration cost ~20 us a line). Line ends are `\n`, `\r\n` or a lone `\r`, as readline counts them; a
 * character or a `\r\n` split between chunks is joined first.
 */
export async function* linesOf(chunks: AsyncIterable<Buffer>): AsyncGenerator<string[]> {
  const decoder = new StringDecoder('utf8');
  let carry = '';
  for await (const chunk of chunks) {
    const text = carry + decoder.write(chunk);
    // A final `\r` may be the first half of `\r\n`: it waits for the next chunk.
    const cut = text.endsWith('\r') ? text.length - 1 : text.length;
    const parts = text.slice(0, cut).split(/\r\n|\n|\r/);
    carry = parts.pop()! + text.slice(cut);
    if (parts.length > 0) yield parts;
  }
  const rest = carry + decoder.end();
  if (rest === '') return;
  const parts = rest.split(/\r\n|\n|\r/);
  if (parts.at(-1) === '') parts.pop();
  yield parts;
}

const NEWLINE = Buffer.from('\n');

/**
 * Passes bytes through, but ends any line at MAX_LINE_BYTES: a newline goes in there, and the rest of the line is
 * dropped with its own newline (line numbers stay right). The line is reported as too long as soon as it passes
 * the limit, not when it ends: a list that never has a newline (/dev/zero) says so at once.
 */
export async function* capLines(input: AsyncIterable<unknown>): AsyncGenerator<Buffer> {
  let run = 0;
  /** Inside the dropped rest of a cut line. */
  let skipping = false;
  for await (const c of input) {
    let chunk: Buffer;
    if (typeof c === 'string') chunk = Buffer.from(c, 'utf8');
    else if (c instanceof Uint8Array) chunk = Buffer.from(c.buffer, c.byteOffset, c.byteLength);
    else throw new TypeError(`a list must be read as text or bytes, got ${typeof c}`);
    let parts: Buffer[] | undefined;
    let keepFrom = 0;
    let pos = 0;
    while (pos < chunk.length) {
      const nl = chunk.indexOf(10, pos);
      const end = nl < 0 ? chunk.length : nl;
      if (skipping) {
        parts ??= [];
        keepFrom = nl < 0 ? chunk.length : nl + 1;
        skipping = nl < 0;
      } else if (run + (end - pos) > MAX_LINE_BYTES) {
        parts ??= [];
        parts.push(chunk.subarray(keepFrom, pos + (MAX_LINE_BYTES - run)), NEWLINE);
        keepFrom = nl < 0 ? chunk.length : nl + 1;
        skipping = nl < 0;
      }
      run = nl < 0 ? run + (end - pos) : 0;
      pos = nl < 0 ? chunk.length : nl + 1;
    }
    if (!parts) {
      if (chunk.length > 0) yield chunk;
      continue;
    }
    parts.push(chunk.subarray(keepFrom));
    const out = Buffer.concat(parts);
    if (out.length > 0) yield out;
  }
}
