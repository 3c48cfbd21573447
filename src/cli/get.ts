import { download } from '../download.js';
import { UsageError } from '../errors.js';
import type { DownloadOptions, EngineMode } from '../options.js';
import type { HashPoolKind } from '../hash/hasher.js';
import { exitCodeFor } from '../report/summary.js';
import { parseSize } from '../server/index.js';
import { JsonRenderer } from './render/json.js';
import { PlainRenderer } from './render/plain.js';
import type { Output, Renderer } from './render/renderer.js';
import { safeText } from './render/safe-text.js';
import { afterDoubleDash, STDIN_TOKEN } from './stdin-token.js';

export interface GetArgs {
  sources?: string[] | undefined;
  /** -i FILE (aria2c, wget): list files, one or several. */
  'input-file'?: string | string[] | undefined;
  /** Words yargs did not take as options or positionals: the command's name, and what followed `--`. */
  _?: (string | number)[] | undefined;
  dir?: string | undefined;
  concurrency?: number | undefined;
  'per-host'?: number | undefined;
  /** One string, or several when -H was repeated. */
  header?: string | string[] | undefined;
  'user-agent'?: string | undefined;
  'max-redirects'?: number | undefined;
  'max-size'?: string | undefined;
  split?: number | undefined;
  'min-split-size'?: string | undefined;
  'allow-insecure-redirects'?: boolean | undefined;
  'ca-certificate'?: string | undefined;
  'connect-timeout'?: number | undefined;
  timeout?: number | undefined;
  'speed-limit'?: string | undefined;
  'speed-time'?: number | undefined;
  retries?: number | undefined;
  overwrite?: boolean | undefined;
  'require-checksum'?: boolean | undefined;
  'limit-rate'?: string | undefined;
  'host-rate'?: number | undefined;
  'content-disposition'?: boolean | undefined;
  progress?: string | undefined;
  mode?: string | undefined;
  hash?: string | undefined;
  'hash-pool'?: string | undefined;
  workers?: number | undefined;
  checksums?: string | undefined;
  manifest?: string | undefined;
  quiet?: boolean | undefined;
  json?: boolean | undefined;
}

function seconds(flag: string, v: number | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!Number.isFinite(v) || v <= 0)
    throw new UsageError(`${flag}: expected a positive number of seconds, got ${v}`);
  return Math.max(1, Math.round(v * 1000));
}

function whole(flag: string, v: number | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!Number.isInteger(v) || v < 0) throw new UsageError(`${flag}: expected a whole number, got ${v}`);
  return v;
}

/** argv -> the library's options. Defaults live in normalizeOptions(), not here. */
export function toDownloadOptions(a: GetArgs): DownloadOptions {
  const lists = a['input-file'] === undefined ? [] : ([] as string[]).concat(a['input-file']);
  const sources = [...lists, ...(a.sources ?? []), ...afterDoubleDash(a._, 'get')].map((s) =>
    s === STDIN_TOKEN ? '-' : s,
  );
  if (sources.length === 0) throw new UsageError('sources: give at least one URL, list file, or - for stdin');
  // The renderers take each result from its event; holding them all would grow with the list.
  const o: DownloadOptions = { sources, stdin: process.stdin, keepResults: false };
  if (a.dir !== undefined) o.dir = a.dir;
  if (a.concurrency !== undefined) o.concurrency = whole('--concurrency', a.concurrency)!;
  if (a['per-host'] !== undefined) o.perHost = whole('--per-host', a['per-host']);
  if (a.header !== undefined) o.headers = Array.isArray(a.header) ? a.header : [a.header];
  if (a['user-agent'] !== undefined) o.userAgent = a['user-agent'];
  if (a['max-redirects'] !== undefined) o.maxRedirects = whole('--max-redirects', a['max-redirects'])!;
  if (a['max-size'] !== undefined) {
    const max = parseSize(String(a['max-size']));
    if (max === undefined || max < 1) {
      throw new UsageError(`--max-size: expected bytes such as 500K, 10M or 2G, got ${a['max-size']}`);
    }
    o.maxSizeBytes = max;
  }
  if (a.split !== undefined) o.split = whole('--split', a.split)!;
  if (a['min-split-size'] !== undefined) {
    const min = parseSize(String(a['min-split-size']));
    if (min === undefined || min < 1) {
      throw new UsageError(`--min-split-size: expected bytes such as 1M or 16M, got ${a['min-split-size']}`);
    }
    o.minSplitSizeBytes = min;
  }
  if (a['allow-insecure-redirects'] !== undefined) o.allowInsecureRedirects = a['allow-insecure-redirects'];
  if (a['ca-certificate'] !== undefined) o.caCertificate = a['ca-certificate'];
  const connect = seconds('--connect-timeout', a['connect-timeout']);
  if (connect !== undefined) o.connectTimeoutMs = connect;
  const idle = seconds('--timeout', a.timeout);
  if (idle !== undefined) o.timeoutMs = idle;
  if (a['limit-rate'] !== undefined) {
    const rate = parseSize(String(a['limit-rate']));
    if (rate === undefined || rate < 1) {
      throw new UsageError(
        `--limit-rate: expected bytes per second such as 500K or 2M, got ${a['limit-rate']}`,
      );
    }
    o.limitRateBytes = rate;
  }
  if (a['host-rate'] !== undefined) {
    const rate = a['host-rate'];
    if (!Number.isFinite(rate) || rate <= 0) {
      throw new UsageError(
        `--host-rate: expected requests per second above 0, such as 2 or 0.5, got ${rate}`,
      );
    }
    o.hostRate = rate;
  }
  if (a['speed-limit'] !== undefined) {
    const min = parseSize(String(a['speed-limit']));
    if (min === undefined) {
      throw new UsageError(
        `--speed-limit: expected bytes per second such as 0, 500 or 10K, got ${a['speed-limit']}`,
      );
    }
    o.speedLimitBytes = min;
  }
  const window = seconds('--speed-time', a['speed-time']);
  if (window !== undefined) o.speedTimeMs = window;
  if (a.retries !== undefined) o.retries = whole('--retries', a.retries)!;
  if (a.overwrite !== undefined) o.overwrite = a.overwrite;
  if (a['require-checksum'] !== undefined) o.requireChecksum = a['require-checksum'];
  if (a['content-disposition'] !== undefined) o.contentDisposition = a['content-disposition'];
  if (a.mode !== undefined) o.mode = a.mode as EngineMode;
  if (a.hash !== undefined) o.hash = a.hash;
  if (a['hash-pool'] !== undefined) o.hashPool = a['hash-pool'] as HashPoolKind;
  if (a.workers !== undefined) o.workers = whole('--workers', a.workers)!;
  if (a.checksums !== undefined) o.checksums = a.checksums;
  if (a.manifest !== undefined) o.manifest = a.manifest;
  return o;
}

async function pickRenderer(a: GetArgs, io: Output): Promise<Renderer | undefined> {
  const quiet = a.quiet ?? false;
  if (a.json) return new JsonRenderer(io, quiet);
  const mode = a.progress ?? 'auto';
  if (mode === 'none') return new PlainRenderer(io, quiet, false);
  const terminal = Boolean((process.stderr as { isTTY?: boolean }).isTTY);
  const tty = terminal && !process.env['CI'];
  // Bars need a terminal: on a pipe cli-progress draws nothing and held back the result lines, so even
  // `--progress bars` prints plain lines there.
  if ((mode === 'bars' && terminal) || (mode === 'auto' && tty)) {
    // cli-progress is loaded only when bars are drawn: startup time counts on small lists.
    const { BarsRenderer } = await import('./render/bars.js');
    return new BarsRenderer(io, quiet);
  }
  return new PlainRenderer(io, quiet);
}

/** `dlpool get`: run the download, render it, map the outcome to the exit code. */
export async function runGet(a: GetArgs): Promise<void> {
  const options = toDownloadOptions(a);
  const io: Output = { out: process.stdout, err: process.stderr };
  const renderer = await pickRenderer(a, io);
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (sig: 'SIGINT' | 'SIGTERM') => {
    interrupts++;
    if (interrupts > 1 && sig === 'SIGINT') {
      // A second Ctrl-C means "now": .part files are already on disk, so nothing complete is lost.
      renderer?.stop();
      process.stderr.write('\ndlpool: interrupted again, exiting at once\n');
      process.exit(130);
    }
    controller.abort(sig);
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  try {
    const summary = await download({
      ...options,
      signal: controller.signal,
      onEvent: (e) => renderer?.onEvent(e),
    });
    renderer?.finish(summary);
    // -c was given, yet some files were not checked against it: said, not silently passed.
    if (options.checksums !== undefined && summary.unverified > 0 && !a.json) {
      const n = summary.unverified;
      process.stderr.write(
        `${safeText(
          `dlpool: warning: ${n} file${n === 1 ? '' : 's'} had no entry in ${options.checksums} and ` +
            `${n === 1 ? 'was' : 'were'} not verified (--require-checksum fails them instead)`,
        )}\n`,
      );
    }
    process.exitCode = exitCodeFor(summary);
  } catch (err) {
    renderer?.stop();
    throw err;
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}
