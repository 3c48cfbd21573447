import { UsageError } from '../errors.js';
import { createServer } from '../server/index.js';

export interface ServeArgs {
  root?: string | undefined;
  port?: number | undefined;
  host?: string | undefined;
  latency?: number | undefined;
}

/** `dlpool serve`: prints its base URL, serves until SIGINT/SIGTERM, then closes every connection. */
export async function runServe(a: ServeArgs): Promise<void> {
  if (a.port !== undefined && (!Number.isInteger(a.port) || a.port < 0 || a.port > 65535)) {
    throw new UsageError(`--port: expected 0 to 65535, got ${a.port}`);
  }
  if (a.latency !== undefined && (!Number.isFinite(a.latency) || a.latency < 0)) {
    throw new UsageError(`--latency: expected milliseconds >= 0, got ${a.latency}`);
  }
  const server = await createServer({
    ...(a.root !== undefined ? { root: a.root } : {}),
    ...(a.port !== undefined ? { port: a.port } : {}),
    ...(a.host !== undefined ? { host: a.host } : {}),
    ...(a.latency !== undefined ? { latencyMs: a.latency } : {}),
  });
  process.stdout.write(`dlpool serve: ${server.url}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
  process.stderr.write('dlpool serve: stopped\n');
}
