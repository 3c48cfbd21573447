#!/usr/bin/env node
// Writes man/dlpool.1 from the compiled command declarations (dist/cli/), so the page cannot drift from --help.
// Run by `npm run build` after tsc; package.json's `man` points npm at it for `man dlpool` after a global install.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { COMMANDS } = await import('../dist/cli/commands/index.js');
const { manPage } = await import('../dist/cli/man.js');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

fs.mkdirSync(path.join(root, 'man'), { recursive: true });
fs.writeFileSync(path.join(root, 'man', 'dlpool.1'), manPage(COMMANDS, pkg.version, pkg.description));
