#!/usr/bin/env node
// The CLI runs from one compiled, bundled file (dist/ is built by `npm install` through the prepare script;
// scripts/bundle.mjs says why it is bundled), loaded through V8's code cache (src/cli/code-cache.ts).
// This file is CommonJS (bin/package.json) to start sooner: see scripts/bundle.mjs.
const path = require('node:path');

require('../dist/dlpool-loader.cjs').runCli(path.join(__dirname, '..', 'dist'));
