#!/usr/bin/env node
// The CLI runs from compiled, bundled JS (dist/ is built by `npm install` through the prepare script;
// scripts/bundle.mjs says why it is bundled).
import { setFlagsFromString } from 'node:v8';

// undici parses HTTP with a WebAssembly build of llhttp. V8 compiles it with its baseline compiler and then
// again with TurboFan in the background, and a short run waits ~0.2 s for that second compile before it can
// exit. Measured on 2000 x 16 KiB and 8 x 64 MiB: the baseline code parses as fast, so TurboFan is skipped.
setFlagsFromString('--liftoff-only');
const { cli } = await import('../dist/dlpool-cli.js');

await cli();
