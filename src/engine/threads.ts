import { Worker } from 'node:worker_threads';
import { packageUrl } from '../paths.js';
import type { FileResult } from '../events.js';
import type { FetchContext } from '../fetch/fetch-file.js';
import type { Job, JobOrResult } from '../jobs/job.js';
import type { Engine } from './engine.js';
import {
  type FromWorker,
  Outbox,
  type ToWorker,
  toWireError,
  toWireJob,
  type WorkerInit,
  wireOptions,
} from './protocol.js';
import { schedule, Slots } from './schedule.js';
import { QuietRounds, RunRelay, sharedRunState } from './run-relay.js';

// Workers run the bundled worker (scripts/bundle.mjs), also under the test runner and from the library.
const WORKER_URL = packageUrl('dist/dlpool-thread-worker.js');

export interface ThreadsEngineHooks {
  /** Called with every worker started, replacements included (tests use it to kill one mid-run). */
  onWorker?: ((worker: Worker) => void) | undefined;
  /** Called when a job is handed to a worker. */
  onDispatch?: ((worker: Worker, job: Job) => void) | undefined;
}

/**
 * A download worker's young generation, in MiB (V8's default would grow it to 48): 300,000 URLs at -j 64 peaked
 * 23 MiB lower per worker, and 2000 small or 8 big files took no measurably longer (the objects of a download
 * die young; collecting a smaller space more often costs about the same).
 */
const WORKER_YOUNG_GENERATION_MB = 12;

/**
 * `--mode threads`: downloads spread over -w worker threads, each with its own event loop and connection pool.
 * Scheduling stays here (one -j and --per-host for all workers, the list streamed as in async mode); each
 * job goes to the worker with the fewest downloads in flight when its slot frees up, so a stalled file
 * never holds back a queue. A worker that dies fails nothing by itself: its downloads run again on another
 * worker, once.
 */
export class ThreadsEngine implements Engine {
  readonly name = 'threads';
  constructor(private readonly hooks: ThreadsEngineHooks = {}) {}

  async run(
    jobs: AsyncIterable<JobOrResult>,
    ctx: FetchContext,
    onResult: (r: FileResult) => void,
  ): Promise<void> {
    const slots = new Slots(ctx.opts);
    const pool = new DownloadWorkers(ctx, slots, this.hooks);
    const onAbort = () => pool.abort(ctx.signal.reason);
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    const unwatch = ctx.clock?.watch?.(() => pool.quiet.settled());
    try {
      await schedule(jobs, slots, ctx.signal, (job) => pool.run(job), onResult);
    } finally {
      unwatch?.();
      ctx.signal.removeEventListener('abort', onAbort);
      await pool.close();
    }
  }
}

interface InFlight {
  job: Job;
  started: number;
  /** Times a worker died while running this job; the second death fails it. */
  crashes: number;
  /** Extra -j slots lent to this job's segments (-x), given back at the latest when it ends. */
  borrowed: number;
  /** Its own slot is lent out while it sleeps before a retry (park/unpark). */
  parked: boolean;
  resolve: (r: FileResult) => void;
  reject: (err: unknown) => void;
}

interface Slot {
  worker: Worker;
  outbox: Outbox<ToWorker>;
  inflight: Map<number, InFlight>;
  ready: boolean;
  closing: boolean;
  error: unknown;
  /** Its turns at the host gates and its sleeps on the run's own clock. */
  run: RunRelay;
}

class DownloadWorkers {
  private readonly slots: Slot[] = [];
  private started = false;
  private aborted: { reason: unknown } | undefined;
  /** When the run's own clock may move on (it waits for this only when it watches). */
  readonly quiet = new QuietRounds<Slot>(
    () => this.slots.filter((s) => !s.closing),
    (s) => {
      s.outbox.post({ type: 'ping' });
      s.outbox.flush();
    },
  );

  constructor(
    private readonly ctx: FetchContext,
    private readonly lender: Slots,
    private readonly hooks: ThreadsEngineHooks,
  ) {}

  run(job: Job): Promise<FileResult> {
    if (!this.started) {
      this.started = true;
      for (let i = 0; i < this.ctx.opts.workers; i++) this.spawn();
    }
    return new Promise((resolve, reject) =>
      this.dispatch({
        job,
        started: performance.now(),
        crashes: 0,
        borrowed: 0,
        parked: false,
        resolve,
        reject,
      }),
    );
  }

  abort(reason: unknown): void {
    this.aborted = { reason };
    for (const s of this.slots) {
      s.outbox.post({ type: 'abort', reason });
      s.outbox.flush();
    }
  }

  async close(): Promise<void> {
    await Promise.all(
      this.slots.map(async (s) => {
        s.closing = true;
        const exited = new Promise((r) => s.worker.once('exit', r));
        s.outbox.post({ type: 'close' });
        s.outbox.flush();
        // A worker stuck in a synchronous call gets a moment, then is stopped.
        const timer = setTimeout(() => void s.worker.terminate(), 2_000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  private spawn(): Slot {
    const worker = new Worker(WORKER_URL, {
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
      workerData: {
        opts: wireOptions(this.ctx.opts),
        expected: this.ctx.expected?.map.shared(),
        ca: this.ctx.ca,
        netrc: this.ctx.netrc,
        cookies: this.ctx.cookies !== undefined,
        rootWasEmpty: this.ctx.dirs.rootWasEmpty,
        ...sharedRunState(this.ctx),
      } satisfies WorkerInit,
    });
    const outbox = new Outbox<ToWorker>((batch) => worker.postMessage(batch));
    const slot: Slot = {
      worker,
      outbox,
      inflight: new Map(),
      ready: false,
      closing: false,
      error: undefined,
      run: new RunRelay(this.ctx),
    };
    this.slots.push(slot);
    worker.on('message', (batch: FromWorker[]) => {
      for (const m of batch) this.onMessage(slot, m);
    });
    // An uncaught error ends the worker; 'exit' follows and handles its downloads.
    worker.on('error', (err) => (slot.error = err));
    worker.on('exit', () => this.onExit(slot));
    this.hooks.onWorker?.(worker);
    return slot;
  }

  /** The next job goes to the worker with the fewest downloads in flight. */
  private dispatch(p: InFlight): void {
    let best: Slot | undefined;
    for (const s of this.slots) {
      if (!s.closing && (best === undefined || s.inflight.size < best.inflight.size)) best = s;
    }
    best ??= this.spawn();
    this.quiet.traffic++;
    best.inflight.set(p.job.id, p);
    best.outbox.post({ type: 'job', job: toWireJob(p.job) });
    this.hooks.onDispatch?.(best.worker, p.job);
  }

  private onMessage(slot: Slot, m: FromWorker): void {
    if (m.type === 'pong') return this.quiet.answered(slot);
    // (Progress, sent on a real-time interval, books no wake: counting it could hold a virtual clock for long.)
    if (m.type !== 'events') this.quiet.traffic++;
    // A request being answered holds a virtual clock back (a name claim may wait for the disk), not one that
    // waits for other downloads (a sleep, a slot, a name's turn): they may be waiting for the clock.
    const answering = m.type !== 'sleep' && m.type !== 'unpark' && !(m.type === 'claimOffered' && m.wait);
    const reply = (req: number, work: () => string | Promise<string>) => {
      if (answering) this.quiet.busy++;
      Promise.resolve()
        .then(work)
        .then(
          (value) => slot.outbox.post({ type: 'reply', req, value }),
          (err: unknown) => slot.outbox.post({ type: 'reply', req, error: toWireError(err) }),
        )
        .finally(() => {
          this.quiet.traffic++;
          if (answering) this.quiet.busy--;
        });
    };
    switch (m.type) {
      case 'ready':
        slot.ready = true;
        break;
      case 'events':
        for (const e of m.events) this.ctx.emit(e);
        break;
      case 'result': {
        const p = slot.inflight.get(m.result.id);
        slot.inflight.delete(m.result.id);
        if (p) this.returnSlots(p);
        p?.resolve(m.result);
        break;
      }
      case 'claim':
        reply(m.req, () => this.ctx.names.claim(m.rel));
        break;
      case 'claimOffered':
        reply(m.req, async () => (await this.ctx.names.claimOffered(m.id, m.rel, m.wait)) ?? '');
        break;
      case 'hash':
        reply(m.req, () => this.ctx.hasher.hashFile(m.path, m.algorithm));
        break;
      case 'borrow':
        reply(m.req, () => {
          const p = slot.inflight.get(m.id);
          if (!p) return '0';
          const n = this.lender.borrow(p.job.host, m.max);
          p.borrowed += n;
          return String(n);
        });
        break;
      case 'park': {
        const p = slot.inflight.get(m.id);
        if (!p || p.parked) break;
        p.parked = true;
        this.lender.park(p.job.host);
        break;
      }
      case 'unpark':
        reply(m.req, async () => {
          const p = slot.inflight.get(m.id);
          if (!p || !p.parked) return '';
          await this.lender.unpark(p.job.host);
          p.parked = false;
          return '';
        });
        break;
      case 'reserve':
      case 'rests':
      case 'slowDown':
      case 'sleep':
      case 'cancel':
      case 'cookies':
      case 'setCookies':
        slot.run.answer(m, reply);
        break;
      case 'giveBack': {
        const p = slot.inflight.get(m.id);
        if (!p) break;
        const n = Math.min(m.n, p.borrowed);
        p.borrowed -= n;
        this.lender.giveBack(p.job.host, n);
        break;
      }
    }
  }

  private returnSlots(p: InFlight): void {
    this.lender.giveBack(p.job.host, p.borrowed);
    p.borrowed = 0;
    // A job that ends while parked (its worker died) takes back the slot it lent, so -j is -j again.
    if (p.parked) {
      p.parked = false;
      this.lender.takeBack(p.job.host);
    }
  }

  private onExit(slot: Slot): void {
    this.slots.splice(this.slots.indexOf(slot), 1);
    this.quiet.answered(slot);
    if (slot.closing) return;
    const orphans = [...slot.inflight.values()];
    slot.inflight.clear();
    for (const p of orphans) this.returnSlots(p);
    if (!slot.ready) {
      // A worker that cannot even start will not do better next time: this is the engine failing.
      const why = slot.error instanceof Error ? slot.error.message : 'exited at start-up';
      for (const p of orphans) p.reject(new Error(`download worker failed to start: ${why}`));
      return;
    }
    const why = slot.error instanceof Error ? `: ${slot.error.message}` : '';
    // Keep the pool at -w: the orphans (and later jobs) get a fresh worker.
    if (!this.aborted) this.spawn();
    for (const p of orphans) {
      if (this.aborted || p.crashes >= 1) {
        p.resolve(this.failed(p, this.aborted ? 'ERR_DL_ABORTED' : 'ERR_DL_WORKER', why));
        continue;
      }
      p.crashes++;
      this.ctx.emit({
        type: 'retry',
        id: p.job.id,
        url: p.job.displayUrl,
        attempt: 1,
        delayMs: 0,
        error: { code: 'ERR_DL_WORKER', message: `download worker died${why}; running this download again` },
      });
      this.dispatch(p);
    }
  }

  private failed(p: InFlight, code: 'ERR_DL_ABORTED' | 'ERR_DL_WORKER', why: string): FileResult {
    const message = code === 'ERR_DL_ABORTED' ? 'interrupted' : `download worker died twice${why}`;
    return {
      id: p.job.id,
      url: p.job.displayUrl,
      source: p.job.source,
      line: p.job.line,
      path: p.job.rel,
      status: 'failed',
      bytes: 0,
      attempts: 1,
      ms: Math.round(performance.now() - p.started),
      resumed: false,
      transferred: 0,
      error: { code, message: `${message}: GET ${p.job.displayUrl}` },
    };
  }
}
