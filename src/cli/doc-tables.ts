// The option tables of the Markdown docs, written from the command declarations: each sits between
// `<!-- options:NAME -->` and `<!-- /options:NAME -->` in any .md file, and `npm run docs` rewrites it there
// (a test fails while a committed table differs from what the declarations give).

import { type CommandSpec, ownOptions, readmeRows } from './command.js';
import { GET_OPTIONS } from './commands/get-options.js';
import { SPECS } from './commands/specs.js';

const MARKED = /<!-- options:([a-z-]+) -->\n[\s\S]*?<!-- \/options:\1 -->/g;

/** The Markdown table of a command's arguments and options (worker's own options: it takes get's besides). */
export function optionTable(c: CommandSpec): string {
  const options = ownOptions(c, c.name === 'worker' ? GET_OPTIONS : []);
  const rows = readmeRows(options, c.positionals);
  const head = options.length > 0 ? 'option' : 'argument';
  return [
    `| ${head} | default | meaning |`,
    '| --- | --- | --- |',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ]
    .map((l) => l.replace(/ {2,}\|/g, ' |'))
    .join('\n');
}

/** The commands whose tables a page may hold, by name. */
export const TABLE_NAMES: readonly string[] = SPECS.map((c) => c.name);

/** `markdown` with every marked table written anew from the declarations; an unknown name throws. */
export function withOptionTables(markdown: string): string {
  return markdown.replace(MARKED, (_, name: string) => {
    const c = SPECS.find((x) => x.name === name);
    if (c === undefined)
      throw new Error(`<!-- options:${name} -->: no command '${name}' (${TABLE_NAMES.join(', ')})`);
    return `<!-- options:${name} -->\n${optionTable(c)}\n<!-- /options:${name} -->`;
  });
}

/** The names of the tables marked in `markdown`, in order. */
export function markedTables(markdown: string): string[] {
  return [...markdown.matchAll(MARKED)].map((m) => m[1]!);
}
