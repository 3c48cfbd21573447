import { runnable, type RunnableCommand } from '../command.js';
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

/**
 * Every command with the code that runs it, in the order of `dlpool --help`; each run file is loaded only when its
 * command runs (`dlpool verify` does not pay for the HTTP client's start-up).
 */
export const COMMANDS: readonly RunnableCommand[] = [
  runnable(getCommand, async (a) => (await import('../get.js')).runGet(a)),
  runnable(serveCommand, async (a) => (await import('../serve.js')).runServe(a)),
  runnable(verifyCommand, async (a) => (await import('../verify.js')).runVerify(a)),
  runnable(hashCommand, async (a) => (await import('../hash.js')).runHash(a)),
  runnable(benchCommand, async (a) => (await import('../bench.js')).runBenchCommand(a)),
  runnable(mergeCommand, async (a) => (await import('../merge.js')).runMerge(a)),
  runnable(queueCommand, async (a) => (await import('../queue.js')).runQueue(a)),
  runnable(workerCommand, async (a) => (await import('../queue.js')).runWorkerCommand(a)),
  runnable(demoCommand, async () => (await import('../demo.js')).runDemo()),
  runnable(completionCommand, async (a) => (await import('../completion.js')).runCompletion(a)),
];
