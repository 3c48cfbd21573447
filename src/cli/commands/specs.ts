import type { CommandSpec } from '../command.js';
import { benchCommand } from './bench.js';
import { completionCommand } from './completion.js';
import { demoCommand } from './demo.js';
import { getCommand } from './get.js';
import { hashCommand } from './hash.js';
import { mergeCommand } from './merge.js';
import { queueCommand } from './queue.js';
import { serveCommand } from './serve.js';
import { verifyCommand } from './verify.js';
import { workerCommand } from './worker.js';

/** Every command's declaration, in the order of `dlpool --help` (index.ts joins each to the code that runs it). */
export const SPECS: readonly CommandSpec[] = [
  getCommand,
  serveCommand,
  verifyCommand,
  hashCommand,
  benchCommand,
  mergeCommand,
  queueCommand,
  workerCommand,
  demoCommand,
  completionCommand,
] as unknown as readonly CommandSpec[];
