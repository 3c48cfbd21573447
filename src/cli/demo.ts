import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.js';
import { packageUrl } from '../paths.js';
import { runGet } from './get.js';

/** The port samples/*.txt point at: fixed so the sample lists are plain files anyone can read and reuse. */
export const DEMO_PORT = 18719;

const root = (p: string) => fileURLToPath(packageUrl(p));

/**
 * `dlpool demo` (npm start): starts `dlpool serve --port 18719` as a child process, downloads
 * samples/demo.txt into ./downloads, prints the summary and stops the server.
 */
export async function runDemo(): Promise<void> {
  const child = spawn(process.execPath, [root('bin/dlpool.js'), 'serve', '--port', String(DEMO_PORT)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        const m = /dlpool serve: (\S+)/.exec(out);
        if (m?.[1]) resolve(m[1]);
      });
      child.once('exit', (code) =>
        reject(
          new UsageError(
            `demo: dlpool serve could not start on 127.0.0.1:${DEMO_PORT} (exit ${code}): ${stderr.trim().split('\n')[0] ?? ''}`,
          ),
        ),
      );
    });
    process.stderr.write(`dlpool demo: serving ${url}, downloading samples/demo.txt into ./downloads\n`);
    await runGet({ sources: [root('samples/demo.txt')], dir: 'downloads' });
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  }
}
