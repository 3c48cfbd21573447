import { setMaxListeners } from 'node:events';
import { parentPort, workerData } from 'node:worker_threads';
import type { DownloadEvent } from '../events.js';
import { runState } from '../policy/run-state.js';
import { type FetchContext, fetchFile } from '../fetch/fetch-file.js';
import { DirMaker } from '../file/dirs.js';
import { createHasher, type Hasher } from '../hash/hasher.js';
import type { NormalizedOptions } from '../options.js';
import { ExpectedDigests } from '../verify/manifest.js';
import { ProgressBatch } from './progress-batch.js';
import { fromMainThread, workerCookies } from './run-relay.js';
import {
  fromWireError,
  fromWireJob,
  type FromWorker,
  Outbox,
  type ToWorker,
  type WorkerInit,
} from './protocol.js';

/**
 * One download worker of `--mode threads`: its own event loop and connection pool, running whatever jobs the
 * main thread hands it with the same fetchFile as the async engine. Names are claimed and pooled hashes
 * computed by the main thread (one registry, one shared hash pool); inline hashing runs here.
 */

const port = parentPort!;
const init = workerData as WorkerInit;
const outbox = new Outbox<FromWorker>((batch) => port.postMessage(batch));
const post = (m: FromWorker) => outbox.post(m);

// Requests to the main thread (name claims, pooled hashes, sleeps), answered by `reply` messages. One given up
// (its signal aborted) is forgotten here and the main thread told.
let nextReq = 0;
const waiting = new Map<number, { resolve: (v: string) => void; reject: (e: Error) => void }>();
function ask(
  m:
    | { type: 'claim'; rel: string }
    | { type: 'claimOffered'; id: number; rel: string; wait: boolean }
    | { type: 'hash'; path: string; algorithm: string }
    | { type: 'borrow'; id: number; max: number }
    | { type: 'unpark'; id: number }
    | { type: 'sleep'; ms: number }
    | { type: 'reserve' | 'rests'; host: string }
    | { type: 'cookies'; url: string },
  signal?: AbortSignal,
) {
  const req = ++nextReq;
  return new Promise<string>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      waiting.delete(req);
      post({ type: 'cancel', req });
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    waiting.set(req, {
      resolve: (v) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(v);
      },
      reject: (e) => {
        signal?.removeEventListener('abort', onAbort);
        reject(e);
      },
    });
    post({ ...m, req });
  });
}

const progress = new ProgressBatch(init.opts.progressIntervalMs, (events) =>
  post({ type: 'events', events }),
);
const emit = (e: DownloadEvent) => progress.emit(e);

const local = createHasher('inline', 1);
const hasher: Hasher =
  init.opts.hashPool === 'inline'
    ? local
    : {
        kind: init.opts.hashPool,
        tap: () => undefined,
        hashFile: (path, algorithm) => ask({ type: 'hash', path, algorithm }),
        close: async () => {},
      };

const opts: NormalizedOptions = {
  ...init.opts,
  sources: [],
  entries: undefined,
  stdin: undefined,
  stdout: undefined,
  signal: undefined,
  onEvent: emit,
  transport: undefined,
};
const controller = new AbortController();
// Every request and backoff sleep of this worker listens to this one signal; many at once is not a leak.
setMaxListeners(0, controller.signal);
// Each worker thread has its own connections (and its share of those kept alive); the rate bucket and the host
// gates are the run's.
const run = runState(opts, {
  ca: init.ca,
  loops: opts.workers,
  ...fromMainThread(init, ask, post),
});
const ctx: FetchContext = {
  opts,
  transport: run.transport,
  names: {
    claim: (rel) => ask({ type: 'claim', rel }),
    claimOffered: async (id, rel, wait) => (await ask({ type: 'claimOffered', id, rel, wait })) || undefined,
  },
  // -j is counted on the main thread: extra connections for segments (-x) are borrowed from it per job.
  slots: {
    borrow: async (job, max) => Number(await ask({ type: 'borrow', id: job.id, max })),
    giveBack: (job, n) => post({ type: 'giveBack', id: job.id, n }),
    park: (job) => post({ type: 'park', id: job.id }),
    unpark: async (job) => {
      await ask({ type: 'unpark', id: job.id });
    },
  },
  dirs: new DirMaker(opts.dir, init.rootWasEmpty),
  limiter: run.limiter,
  hostGate: run.hostGate,
  keepAlive: run.keepAlive,
  clock: run.clock,
  signal: controller.signal,
  emit,
  hasher,
  expected: init.expected ? ExpectedDigests.fromShared(init.expected) : undefined,
  ca: init.ca,
  netrc: init.netrc,
  cookies: init.cookies ? workerCookies(ask, post) : undefined,
};

port.on('message', (batch: ToWorker[]) => {
  for (const m of batch) onMessage(m);
});

function onMessage(m: ToWorker): void {
  switch (m.type) {
    case 'job': {
      const job = fromWireJob(m.job);
      void fetchFile(job, ctx).then((result) => {
        progress.forget(job.id);
        post({ type: 'result', result });
      });
      break;
    }
    case 'reply': {
      const w = waiting.get(m.req);
      waiting.delete(m.req);
      if (m.error) w?.reject(fromWireError(m.error));
      else w?.resolve(m.value ?? '');
      break;
    }
    case 'abort':
      controller.abort(m.reason);
      break;
    case 'ping': {
      // After what this turn started (and its outbox) has gone out, and with no file operation in flight: a
      // download between two waits may be reading its .part, and books its next wake only after that.
      const answer = () => (filesBusy() ? setImmediate(answer) : post({ type: 'pong' }));
      setImmediate(answer);
      break;
    }
    case 'close':
      ctx.dirs.close();
      progress.flush();
      outbox.flush();
      void run.transport
        .destroy()
        .catch(() => {})
        .finally(() => port.close());
      break;
  }
}
function filesBusy(): boolean {
  return process.getActiveResourcesInfo().some((r) => r.startsWith('FSReq'));
}

post({ type: 'ready' });
