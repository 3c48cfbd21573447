import type { DownloadEvent } from '../../events.js';
import type { ShardResult } from '../../queue/job-data.js';
import { count, formatBytes, formatRate } from '../format.js';
import { fitLine } from './bar-layout.js';
import { resultLine, warningLine } from './lines.js';
import type { Output } from './renderer.js';
import { safeText } from './safe-text.js';

export interface WorkerOutput extends Output {
  /** Columns of the terminal stderr is, for the progress line; undefined when it is none. */
  columns: number | undefined;
}

interface Running {
  listed: number | undefined;
  done: number;
  /** Bytes per download in flight, to count each progress event's increase once. */
  inFlight: Map<number, number>;
}

/** The progress line is redrawn at most this often: a shard of small files finishes hundreds a second. */
const REDRAW_MS = 125;

/**
 * What `dlpool worker` prints: the lines `get` prints for each file of a shard (failures on stderr, naming
 * `list:line -> path`), a line per finished shard, and on a terminal one progress line below them, redrawn in
 * place (and cleared before any other line is written, so lines never mix).
 */
export class WorkerRenderer {
  private readonly running = new Map<number, Running>();
  private bytes = 0;
  private readonly started = performance.now();
  private drawn = false;
  private lastDraw = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly io: WorkerOutput,
    private readonly quiet: boolean,
    /** --progress none: no per-file lines, but still failures and the shard lines. */
    private readonly perFile: boolean,
    /** --dir as typed, which failure lines name their files under. */
    private readonly dir: string,
  ) {}

  onEvent(shard: number, e: DownloadEvent): void {
    if (e.type === 'warning') {
      if (!this.quiet) this.line(this.io.err, warningLine(e));
      return;
    }
    if (e.type === 'headers') {
      // -v: shards run at once, each numbering its entries from 1: `[shard:entry] `.
      for (const l of e.lines) this.line(this.io.err, safeText(`[${shard}:${e.id}] ${l}`));
      return;
    }
    const r = this.shard(shard);
    if (e.type === 'listed') r.listed = e.count;
    else if (e.type === 'start') r.inFlight.set(e.id, e.offset);
    else if (e.type === 'progress') {
      this.bytes += e.transferred - (r.inFlight.get(e.id) ?? e.transferred);
      r.inFlight.set(e.id, e.transferred);
    } else if (e.type === 'result') {
      r.done++;
      r.inFlight.delete(e.result.id);
      const { status, error } = e.result;
      // A download stopped by SIGINT/SIGTERM is no failure: its shard goes back to the queue as it was.
      if (status === 'failed' && error?.code !== 'ERR_DL_ABORTED')
        this.line(this.io.err, resultLine(e.result, this.dir));
      else if (status !== 'failed' && !this.quiet && this.perFile)
        this.line(this.io.out, resultLine(e.result, this.dir));
    }
    this.redraw();
  }

  shardDone(s: ShardResult): void {
    this.running.delete(s.shard);
    if (this.quiet) return;
    const counts = `${s.downloaded} downloaded, ${s.skipped} skipped, ${s.failed.length} failed`;
    this.line(this.io.out, safeText(`shard ${s.shard}: ${count(s.count, 'entry', 'entries')}, ${counts}`));
    this.redraw();
  }

  shardReturned(shard: number, handedBack: boolean, signal: string): void {
    this.running.delete(shard);
    const what = handedBack
      ? 'handed back to the queue'
      : 'left to the queue: Redis is away, it is taken again once its lock expires';
    this.note(`dlpool worker: ${signal}: shard ${shard} ${what}`);
  }

  /** A line on stderr that is not a file's (a shard failed, Redis lost). */
  note(text: string): void {
    this.line(this.io.err, safeText(text));
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.clear();
  }

  private shard(n: number): Running {
    let r = this.running.get(n);
    if (!r) this.running.set(n, (r = { listed: undefined, done: 0, inFlight: new Map() }));
    return r;
  }

  private line(to: NodeJS.WritableStream, text: string): void {
    this.clear();
    to.write(`${text}\n`);
  }

  private clear(): void {
    if (!this.drawn) return;
    this.io.err.write('\r\x1b[K');
    this.drawn = false;
  }

  private redraw(): void {
    const columns = this.io.columns;
    if (columns === undefined || this.timer) return;
    const wait = this.lastDraw + REDRAW_MS - performance.now();
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.redraw();
      }, wait);
      this.timer.unref();
      return;
    }
    this.lastDraw = performance.now();
    const shards = [...this.running].map(
      ([n, r]) => `shard ${n}: ${r.done}/${r.listed ?? `${r.done}+`} files`,
    );
    if (shards.length === 0) return this.clear();
    const ms = performance.now() - this.started;
    // One row, never wrapped (a wrapped line could not be redrawn in place): the speed goes first, then the bytes.
    const line = fitLine(
      [
        { kind: 'text', text: safeText(shards.join(', ')), rank: 0 },
        { kind: 'text', text: formatBytes(this.bytes), rank: 1, gap: ' | ' },
        { kind: 'text', text: formatRate(this.bytes, ms), rank: 2 },
      ],
      columns,
    );
    this.io.err.write(`\r\x1b[K${line}`);
    this.drawn = true;
  }
}
