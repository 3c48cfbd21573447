#!/usr/bin/env node
// Rewrites the option tables of README.md and docs/*.md (between `<!-- options:NAME -->` markers) from the
// compiled command declarations (dist/cli/): `npm run docs` after changing an option.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { withOptionTables } = await import('../dist/cli/doc-tables.js');

const pages = [
  'README.md',
  ...fs
    .readdirSync(path.join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
for (const page of pages) {
  const file = path.join(root, page);
  const before = fs.readFileSync(file, 'utf8');
  const after = withOptionTables(before);
  if (after !== before) {
    fs.writeFileSync(file, after);
    console.log(`wrote the option tables of ${page}`);
  }
}
