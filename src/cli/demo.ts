import { rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from '../server/index.js';
import { packageUrl } from '../paths.js';
import { runGet } from './get.js';
import { onInterrupt } from './signals.js';

/** The port samples/*.txt point at: fixed so the sample lists are plain files anyone can read and reuse. */
export const DEMO_PORT = 18719;

const root = (p: string) => fileURLToPath(packageUrl(p));

/**
 * `dlpool demo` (npm start): serves the built-in files on a free port of 127.0.0.1 in this process (so
 * nothing is left holding a port when it is killed), downloads samples/demo.txt (pointed at that port) into
 * ./downloads, prints the summary and stops the server.
 */
export async function runDemo(): Promise<void> {
  // One policy from start to end: a signal while the server starts ends the demo as one during the download.
  const interrupt = onInterrupt();
  const server = await createServer({ port: 0 });
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'dlpool-demo-'));
  interrupt.beforeExit(() => rmSync(tmp, { recursive: true, force: true }));
  try {
    const list = path.join(tmp, 'demo.txt');
    const text = await fs.readFile(root('samples/demo.txt'), 'utf8');
    await fs.writeFile(list, text.replaceAll(`http://127.0.0.1:${DEMO_PORT}/`, server.url));
    process.stderr.write(
      `dlpool demo: serving ${server.url}, downloading samples/demo.txt into ./downloads\n`,
    );
    if (!interrupt.signal.aborted) await runGet({ sources: [list], dir: 'downloads' }, interrupt);
  } finally {
    interrupt.close();
    await server.close();
    await fs.rm(tmp, { recursive: true, force: true });
  }
  process.exitCode = interrupt.exitCode() ?? process.exitCode;
}
