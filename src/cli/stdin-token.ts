// Words of the command line that yargs handles in its own way.

/** yargs-parser swallows a bare `-`; it travels through the parser as this token and is mapped back in get. */
export const STDIN_TOKEN = '\u0000stdin';

/**
 * What followed `--` (yargs puts it in `_`, after the command's own name when it was typed): sources too, as
 * in `dlpool get -H 'X: y' -- URL`.
 */
export function afterDoubleDash(rest: (string | number)[] | undefined, command: string): string[] {
  const words = (rest ?? []).map(String);
  if (words[0] === command) words.shift();
  return words;
}
