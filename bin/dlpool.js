#!/usr/bin/env node
// The CLI runs from compiled JS (dist/ is built by `npm install` through the prepare script).
import { cli } from '../dist/cli/main.js';

await cli();
