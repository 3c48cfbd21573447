import cliProgress from 'cli-progress';
import type { DownloadEvent } from '../../events.js';
import type { DownloadSummary } from '../../report/summary.js';
import { formatBytes, formatRate } from '../format.js';
import { resultLine, runErrorLines, totalsLine, warningLine } from './lines.js';
import { safeText } from './safe-text.js';
import type { Output, Renderer } from './renderer.js';

const MAX_FILE_BARS = 6;

interface Active {
  name: string;
  transferred: number;
  total: number | undefined;
  bar: cliProgress.SingleBar | undefined;
}

/**
 * TTY: an overall bar (files done / seen, bytes, speed, ETA) and bars for up to six active files.
 * Finished files are logged above the bars, so the URL -> file mapping stays on screen.
 */
export class BarsRenderer implements Renderer {
  private readonly multi: cliProgress.MultiBar;
  private readonly overall: cliProgress.SingleBar;
  private readonly active = new Map<number, Active>();
  private seen = 0;
  private done = 0;
  private bytes = 0;
  private readonly started = performance.now();
  private closed = false;
  /** Entries in all, once every source has been read. */
  private listed: number | undefined;

  constructor(
    private readonly io: Output,
    private readonly quiet: boolean,
    /** --dir as typed, which failure lines name their files under. */
    private readonly dir = '',
  ) {
    this.multi = new cliProgress.MultiBar(
      {
        stream: io.err,
        format: ' {bar} {label} {info} | ETA {eta_formatted}',
        barsize: 24,
        hideCursor: true,
        clearOnComplete: true,
        stopOnComplete: false,
        fps: 8,
        autopadding: true,
      },
      cliProgress.Presets.shades_classic,
    );
    // No ETA on the overall bar: the files still to come have no sizes yet, so any figure would be made up
    // (it showed `ETA NFs`); each file's bar has its own. `+` after the total while the list is still read.
    this.overall = this.multi.create(
      1,
      0,
      { label: 'files', info: '', more: '+' },
      { format: ' {bar} files {value}/{total}{more} | {info}' },
    );
  }

  onEvent(e: DownloadEvent): void {
    switch (e.type) {
      case 'warning':
        if (!this.quiet) this.multi.log(`${warningLine(e)}\n`);
        break;
      case 'start': {
        const a = this.active.get(e.id) ?? {
          name: e.path,
          transferred: e.offset,
          total: e.total,
          bar: undefined,
        };
        a.total = e.total;
        if (!a.bar && this.barCount() < MAX_FILE_BARS) {
          a.bar = this.multi.create(e.total ?? 0, e.offset, { label: shorten(e.path), info: '' });
        }
        this.active.set(e.id, a);
        break;
      }
      case 'progress': {
        const a = this.active.get(e.id);
        if (!a) break;
        this.bytes += e.transferred - a.transferred;
        a.transferred = e.transferred;
        a.bar?.setTotal(e.total ?? e.transferred);
        a.bar?.update(e.transferred, {
          info: `${formatBytes(e.transferred)} / ${e.total === undefined ? '?' : formatBytes(e.total)}`,
        });
        break;
      }
      case 'result': {
        this.done++;
        this.seen = Math.max(this.seen, e.result.id);
        const a = this.active.get(e.result.id);
        if (a?.bar) this.multi.remove(a.bar);
        this.active.delete(e.result.id);
        if (e.result.status === 'failed' || !this.quiet)
          this.multi.log(`${resultLine(e.result, this.dir)}\n`);
        break;
      }
      case 'retry':
        break;
      case 'listed':
        this.listed = e.count;
        break;
    }
    if (e.type === 'start') this.seen = Math.max(this.seen, e.id);
    const ms = performance.now() - this.started;
    this.overall.setTotal(Math.max(1, this.listed ?? this.seen));
    this.overall.update(this.done, {
      info: `${formatBytes(this.bytes)} ${formatRate(this.bytes, ms)}`,
      more: this.listed === undefined ? '+' : '',
    });
  }

  private barCount(): number {
    let n = 0;
    for (const a of this.active.values()) if (a.bar) n++;
    return n;
  }

  finish(s: DownloadSummary): void {
    this.close();
    this.io.err.write(runErrorLines(s));
    if (!this.quiet) this.io.out.write(`${totalsLine(s)}\n`);
  }

  stop(): void {
    this.close();
  }

  /**
   * cli-progress writes logged lines only when it redraws (8 times a second) and its stop() drops the ones
   * still waiting: the last results of a run never reached the screen. One redraw first writes them (above the
   * bars, which stop() then clears).
   */
  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.multi.update();
    this.multi.stop();
  }
}

function shorten(raw: string): string {
  const name = safeText(raw);
  return name.length > 32 ? `…${name.slice(-31)}` : name.padEnd(32);
}
