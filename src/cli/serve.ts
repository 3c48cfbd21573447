import { DlpoolError, UsageError } from '../errors.js';
import { createServer, parseSize, type ServeOptions } from '../server/index.js';
import type { ServeArgs } from './commands/serve.js';
import { onInterrupt } from './signals.js';

/** argv -> ServeOptions; the server checks ranges and reports bad values by option name. */
export function toServeOptions(a: ServeArgs): ServeOptions {
  if (a.port !== undefined && (!Number.isInteger(a.port) || a.port < 0 || a.port > 65535)) {
    throw new UsageError(`--port: expected 0 to 65535, got ${a.port}`);
  }
  if (a.latency !== undefined && (!Number.isFinite(a.latency) || a.latency < 0)) {
    throw new UsageError(`--latency: expected milliseconds >= 0, got ${a.latency}`);
  }
  const o: ServeOptions = {};
  if (a.dotfiles === true && a.root === undefined) {
    throw new UsageError('--dotfiles: serves hidden files under --root; give --root DIR too');
  }
  if (a.root !== undefined) o.root = a.root;
  if (a.dotfiles !== undefined) o.dotfiles = a.dotfiles;
  if (a.port !== undefined) o.port = a.port;
  if (a.host !== undefined) o.host = a.host;
  if (a.latency !== undefined) o.latencyMs = a.latency;
  if (a.rate !== undefined) {
    const rate = parseSize(String(a.rate));
    if (rate === undefined || rate < 1) {
      throw new UsageError(`--rate: expected bytes per second such as 500K or 10M, got ${a.rate}`);
    }
    o.rateBytesPerSec = rate;
  }
  for (const [flag, key] of [
    ['--fail-rate', 'failRate'],
    ['--drop-rate', 'dropRate'],
  ] as const) {
    const v = a[flag.slice(2) as 'fail-rate' | 'drop-rate'];
    if (v === undefined) continue;
    if (!Number.isFinite(v) || v < 0 || v > 1) throw new UsageError(`${flag}: expected 0 to 1, got ${v}`);
    o[key] = v;
  }
  if (a.seed !== undefined) {
    if (!Number.isInteger(a.seed)) throw new UsageError(`--seed: expected a whole number, got ${a.seed}`);
    o.seed = a.seed;
  }
  return o;
}

/** The server, or a one-line error for a bad --root and the ways listening can fail (exit 2, no stack trace). */
export async function listen(options: ServeOptions): Promise<Awaited<ReturnType<typeof createServer>>> {
  try {
    return await createServer(options);
  } catch (err) {
    // A bad option (a --root that is no folder) is not a failure to listen. The library's message starts with
    // its option's name, which for the options checked only there (root) is the flag's name too.
    if (err instanceof UsageError) throw new UsageError(`--${err.message}`);
    const code = (err as NodeJS.ErrnoException).code;
    const where = `${options.host ?? '127.0.0.1'}:${options.port ?? 0}`;
    const why: Record<string, string> = {
      EADDRINUSE: `${where} is in use (another dlpool serve?): choose another --port, or --port 0 for any free one`,
      EACCES: `not allowed to listen on ${where} (ports below 1024 need privileges): choose another --port`,
      EADDRNOTAVAIL: `${options.host ?? '127.0.0.1'} is not an address of this machine (--host)`,
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
