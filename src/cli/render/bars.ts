import cliProgress, { type Options, type Params } from 'cli-progress';
import type { DownloadEvent } from '../../events.js';
import type { DownloadSummary } from '../../report/summary.js';
import { formatBytes, formatRate } from '../format.js';
import { fitLine, formatEta, type Part } from './bar-layout.js';
import { resultLine, runErrorLines, totalsLine, warningLine } from './lines.js';
import { safeText } from './safe-text.js';
import type { Output, Renderer } from './renderer.js';

const MAX_FILE_BARS = 6;

interface Active {
  name: string;
  transferred: number;
  total: number | undefined;
  bar: cliProgress.SingleBar | undefined;
  /** When this attempt started, and from which byte: its speed, for its ETA. */
  since: number;
  offset: number;
}

/** What a file's bar shows; laid out for the terminal's width at each redraw. */
interface FilePayload {
  name: string;
  transferred: number;
  total: number | undefined;
  etaSeconds: number | undefined;
}

/** What the overall bar shows. */
interface OverallPayload {
  more: boolean;
  bytes: number;
  rate: string;
  /** Bytes of the whole list, once its size is known (`estimated` while some files' sizes are not). */
  total: number | undefined;
  estimated: boolean;
  etaSeconds: number | undefined;
}

/**
 * TTY: an overall bar (files done / seen, bytes, speed, the list's bytes and ETA) and bars for up to six active
 * files, each line fitted to the terminal's width at every redraw (fitLine: the least important parts go first).
 * Finished files are logged above the bars, so the URL -> file mapping stays on screen.
 */
export class BarsRenderer implements Renderer {
  private readonly multi: cliProgress.MultiBar;
  private readonly overall: cliProgress.SingleBar;
  private readonly active = new Map<number, Active>();
  private seen = 0;
  private done = 0;
  private bytes = 0;
  /** Sizes of the files downloaded or started with a known size: the average that stands for the rest. */
  private sized = { bytes: 0, files: 0 };
  private readonly started = performance.now();
  private closed = false;
  /** Entries in all, once every source has been read. */
  private listed: number | undefined;

  constructor(
    private readonly io: Output,
    private readonly quiet: boolean,
    /** --dir as typed, which failure lines name their files under. */
    private readonly dir = '',
    /** --spider: the totals say what was checked. */
    private readonly spider = false,
  ) {
    this.multi = new cliProgress.MultiBar(
      {
        stream: io.err,
        format: fileLine,
        // Autowrap stays on: every bar line is fitted to the width already, and the result lines logged above
        // them must wrap, not be cut at the edge (cli-progress turns it off by default).
        linewrap: true,
        hideCursor: true,
        clearOnComplete: true,
        stopOnComplete: false,
        fps: 8,
        autopadding: true,
      },
      cliProgress.Presets.shades_classic,
    );
    // `+` after the count while the list is still read; no list total or ETA until then (any figure would be
    // made up).
    this.overall = this.multi.create(1, 0, this.overallPayload(), { format: overallLine });
  }

  onEvent(e: DownloadEvent): void {
    switch (e.type) {
      case 'warning':
        if (!this.quiet) this.log(warningLine(e));
        break;
      case 'start': {
        const a = this.active.get(e.id) ?? {
          name: e.path,
          transferred: e.offset,
          total: undefined,
          bar: undefined,
          since: performance.now(),
          offset: e.offset,
        };
        this.sizeKnown(a, e.total);
        a.since = performance.now();
        a.offset = e.offset;
        if (!a.bar && this.barCount() < MAX_FILE_BARS) {
          a.bar = this.multi.create(e.total ?? 0, e.offset, filePayload(a));
        }
        this.active.set(e.id, a);
        break;
      }
      case 'progress': {
        const a = this.active.get(e.id);
        if (!a) break;
        this.bytes += e.transferred - a.transferred;
        a.transferred = e.transferred;
        this.sizeKnown(a, e.total);
        a.bar?.setTotal(e.total ?? e.transferred);
        a.bar?.update(e.transferred, filePayload(a));
        break;
      }
      case 'result': {
        this.done++;
        this.seen = Math.max(this.seen, e.result.id);
        const a = this.active.get(e.result.id);
        if (a?.bar) this.multi.remove(a.bar);
        // A downloaded file whose size was not known before stands for the average from now on.
        if (e.result.status === 'downloaded' && a?.total === undefined) {
          this.sized.bytes += e.result.bytes;
          this.sized.files++;
        }
        this.active.delete(e.result.id);
        if (e.result.status === 'failed' || !this.quiet) this.log(resultLine(e.result, this.dir));
        break;
      }
      case 'retry':
        break;
      case 'listed':
        this.listed = e.count;
        break;
    }
    if (e.type === 'start') this.seen = Math.max(this.seen, e.id);
    this.overall.setTotal(Math.max(1, this.listed ?? this.seen));
    this.overall.update(this.done, this.overallPayload());
  }

  /**
   * Once the list is read: its bytes still to come are the active files' (their size, or the average) and the
   * average for each file not started yet; the ETA is those at the speed so far. Exact when every size is known.
   */
  private overallPayload(): OverallPayload {
    const ms = performance.now() - this.started;
    const speed = ms > 0 ? this.bytes / ms : 0;
    const base = { more: this.listed === undefined, bytes: this.bytes, rate: formatRate(this.bytes, ms) };
    if (this.listed === undefined || this.sized.files === 0)
      return { ...base, total: undefined, estimated: false, etaSeconds: undefined };
    const average = this.sized.bytes / this.sized.files;
    let left = 0;
    let estimated = false;
    for (const a of this.active.values()) {
      left += Math.max(0, (a.total ?? average) - a.transferred);
      estimated ||= a.total === undefined;
    }
    const notStarted = Math.max(0, this.listed - this.done - this.active.size);
    left += notStarted * average;
    estimated ||= notStarted > 0;
    return {
      ...base,
      total: Math.round(this.bytes + left),
      estimated,
      etaSeconds: speed > 0 ? left / speed / 1000 : undefined,
    };
  }

  /** A file's size, once the server said it: it counts toward the average that stands for the sizes not known. */
  private sizeKnown(a: Active, total: number | undefined): void {
    if (a.total === undefined && total !== undefined) {
      this.sized.bytes += total;
      this.sized.files++;
    }
    a.total = total;
  }

  /**
   * A line above the bars. cli-progress writes it where the bars were and clears only the first row: a line that
   * wraps onto the old bar rows would leave their ends on screen. Clearing to the end of the screen first (the
   * bars are drawn again below) leaves nothing behind.
   */
  private log(line: string): void {
    this.multi.log(`\x1b[J${line}\n`);
  }

  private barCount(): number {
    let n = 0;
    for (const a of this.active.values()) if (a.bar) n++;
    return n;
  }

  finish(s: DownloadSummary): void {
    this.close();
    this.io.err.write(runErrorLines(s));
    if (!this.quiet) this.io.out.write(`${totalsLine(s, this.spider)}\n`);
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

/** A file's ETA: what is left at its speed since this attempt started (none before a byte arrived). */
function filePayload(a: Active): FilePayload {
  const ms = performance.now() - a.since;
  const speed = ms > 0 ? (a.transferred - a.offset) / ms : 0;
  const etaSeconds =
    a.total !== undefined && speed > 0 ? (a.total - a.transferred) / speed / 1000 : undefined;
  return { name: a.name, transferred: a.transferred, total: a.total, etaSeconds };
}

/** Columns of the terminal (cli-progress reads the stream's at each redraw, so a resize is followed). */
function widthOf(params: Params): number {
  return (params as Params & { maxWidth?: number }).maxWidth ?? 80;
}

/** A file's bar: the name, then its bytes, its ETA and the bar itself, dropped in that order from the end. */
function fileLine(_o: Options, params: Params, payload: FilePayload): string {
  const bytes = `${formatBytes(payload.transferred)} / ${payload.total === undefined ? '?' : formatBytes(payload.total)}`;
  const parts: Part[] = [
    { kind: 'bar', ratio: params.progress, rank: 3, min: 6, max: 24 },
    { kind: 'name', text: safeText(payload.name), rank: 0, min: 16 },
    { kind: 'text', text: bytes, rank: 1 },
  ];
  if (payload.etaSeconds !== undefined)
    parts.push({ kind: 'text', text: formatEta(payload.etaSeconds), rank: 2 });
  return fitLine(parts, widthOf(params));
}

/** The overall bar: files done / in all, bytes so far, the list's bytes and ETA once known, the speed. */
function overallLine(_o: Options, params: Params, payload: OverallPayload): string {
  const parts: Part[] = [
    { kind: 'bar', ratio: params.progress, rank: 6, min: 6, max: 24 },
    { kind: 'text', text: `files ${params.value}/${params.total}${payload.more ? '+' : ''}`, rank: 0 },
    { kind: 'text', text: formatBytes(payload.bytes), rank: 1, gap: ' | ' },
  ];
  if (payload.total !== undefined)
    parts.push({
      kind: 'text',
      text: `/ ${payload.estimated ? '~' : ''}${formatBytes(payload.total)}`,
      rank: 3,
    });
  parts.push({ kind: 'text', text: payload.rate, rank: 4 });
  if (payload.etaSeconds !== undefined)
    parts.push({ kind: 'text', text: formatEta(payload.etaSeconds), rank: 2, gap: ' | ' });
  return fitLine(parts, widthOf(params));
}
