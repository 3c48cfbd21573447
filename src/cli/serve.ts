import { DlpoolError, UsageError } from '../errors.js';
import { createServer, type ServeOptions } from '../server/index.js';
import { SERVE_DEFAULTS } from '../server/serve-values.js';
import { type ServeArgs, serveCommand } from './commands/serve.js';
import { libraryOptions } from './from-argv.js';
import { onInterrupt } from './signals.js';

/** argv -> ServeOptions, by the declaration (values checked by the server's own ranges). */
export function toServeOptions(a: ServeArgs): ServeOptions {
  if (a.dotfiles === true && a.root === undefined) {
    throw new UsageError('--dotfiles: serves hidden files under --root; give --root DIR too');
  }
  return libraryOptions<ServeOptions>(serveCommand.options, a);
}

/** The server, or a one-line error for a bad --root and the ways listening can fail (exit 2, no stack trace). */
export async function listen(options: ServeOptions): Promise<Awaited<ReturnType<typeof createServer>>> {
  try {
    return await createServer(options);
  } catch (err) {
    // A bad option (a --root that is no folder) is not a failure to listen; its message starts with the
    // option's key, said as the flag typed.
    if (err instanceof UsageError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const host = options.host ?? SERVE_DEFAULTS.host;
    const where = `${host}:${options.port ?? SERVE_DEFAULTS.port}`;
    const why: Record<string, string> = {
      EADDRINUSE: `${where} is in use (another dlpool serve?): choose another --port, or --port 0 for any free one`,
      EACCES: `not allowed to listen on ${where} (ports below 1024 need privileges): choose another --port`,
      EADDRNOTAVAIL: `${host} is not an address of this machine (--host)`,
    };
    const message = code && why[code] ? why[code] : `cannot listen on ${where}: ${code ?? String(err)}`;
    throw new DlpoolError('ERR_DL_INPUT', `serve: ${message}`, { cause: err });
  }
}

/** `dlpool serve`: prints its base URL, serves until SIGINT/SIGTERM (then 130/143), closing every connection. */
export async function runServe(a: ServeArgs): Promise<void> {
  const options = toServeOptions(a);
  const server = await listen(options);
  process.stdout.write(`dlpool serve: ${server.url}\n`);
  const interrupt = onInterrupt();
  await new Promise((resolve) => interrupt.signal.addEventListener('abort', resolve, { once: true }));
  await server.close();
  interrupt.close();
  process.stderr.write('dlpool serve: stopped\n');
  process.exitCode = interrupt.exitCode();
}
