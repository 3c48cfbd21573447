import { createHash } from 'node:crypto';
import type http from 'node:http';
import { baseName, parseWorkload, synthChunks, workloadFiles } from './workload.js';

/** Longest stretch of work between two turns of the event loop. */
const TURN_MS = 10;
/** Text sent in one write. */
const BATCH = 64 * 1024;

/**
 * Marks how long work has run since the event loop last had a turn; `due()` says when to give it one, so that a
 * signal, another request or a client going away is seen within ~10 ms even while minutes of digests are computed.
 */
function turns(): { due(): boolean; take(): Promise<void> } {
  let last = performance.now();
  return {
    due: () => performance.now() - last > TURN_MS,
    take: () =>
      new Promise<void>((resolve) =>
        setImmediate(() => {
          last = performance.now();
          resolve();
        }),
      ),
  };
}

/** Resolves once `res` can take more ('drain') or is gone ('close'). */
function writable(res: http.ServerResponse): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** The workload's lines; a digest under way is given up as soon as `res` is gone (closed server, client away). */
async function* lines(
  kind: 'list' | 'sums',
  base: string,
  spec: string,
  clock: ReturnType<typeof turns>,
  res: http.ServerResponse,
): AsyncGenerator<string> {
  for (const f of workloadFiles(spec, parseWorkload(spec) ?? [])) {
    if (kind === 'list') {
      yield `${base}${f.path}\n`;
      continue;
    }
    const h = createHash('sha256');
    for (const chunk of synthChunks(f.path, f.size)) {
      h.update(chunk);
      if (clock.due()) await clock.take();
      if (res.destroyed) return;
    }
    yield `${h.digest('hex')}  ${baseName(f.path)}\n`;
  }
}

/** Writes the lines as they come, in batches, following backpressure; stops when the client goes away. */
async function stream(
  res: http.ServerResponse,
  text: AsyncIterable<string>,
  clock: ReturnType<typeof turns>,
) {
  let batch = '';
  for await (const line of text) {
    if (res.destroyed) return;
    batch += line;
    if (batch.length < BATCH && !clock.due()) continue;
    const more = res.write(batch);
    batch = '';
    if (!more) await writable(res);
    else if (clock.due()) await clock.take();
  }
  if (!res.destroyed) res.end(batch);
}

/**
 * `/list/SPEC` and `/sums/SPEC` (synthetic mode): a workload's URL list or its sha256sum-format checksums,
 * streamed as they are made (no Content-Length): the digests of `/sums/100x1G` take minutes, and the server
 * keeps answering other requests and signals meanwhile. False if the path is no workload.
 */
export function sendWorkload(req: http.IncomingMessage, res: http.ServerResponse, rawPath: string): boolean {
  const m = /^\/(list|sums)\/([^/]+)$/.exec(rawPath);
  if (!m || !parseWorkload(m[2]!)) return false;
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
  if (req.method === 'HEAD') {
    res.end();
    return true;
  }
  // Headers now, not with the first line: the first digest may take seconds.
  res.flushHeaders();
  const base = `http://${req.headers.host ?? req.socket.localAddress}`;
  const clock = turns();
  stream(res, lines(m[1] as 'list' | 'sums', base, m[2]!, clock, res), clock).catch(() => res.destroy());
  return true;
}
