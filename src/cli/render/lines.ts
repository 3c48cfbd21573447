import path from 'node:path';
import type { FileResult, WarningEvent } from '../../events.js';
import type { DownloadSummary } from '../../report/summary.js';
import { formatBytes, formatRate, formatSeconds } from '../format.js';
import { safeText } from './safe-text.js';

/**
 * One line per finished entry: what happened, where it went, and from which URL. `dir` is --dir as the user
 * typed it: a failure names its file under it (`out/a.bin`), a path the user can open.
 */
export function resultLine(r: FileResult, dir = ''): string {
  if (r.status === 'failed') return failureLine({ ...r, path: r.path && path.join(dir, r.path) });
  if (r.status === 'checked') return safeText(checkedLine(r, dir));
  return safeText(rawResultLine(r));
}

/** --spider: `checked     out/a.bin  (200 HEAD, 2.00 KiB)  <- URL`, the name as a real run would give it. */
function checkedLine(r: FileResult, dir: string): string {
  const c = r.check;
  const size = c?.size === undefined ? 'size unknown' : formatBytes(c.size);
  const answer = c ? `${c.status} ${c.method}, ${size}` : size;
  const retries = r.attempts > 1 ? `, ${r.attempts} attempts` : '';
  const from = r.mirror === undefined ? r.url : `${r.mirror} (mirror of ${r.url})`;
  return `checked     ${path.join(dir, r.path ?? '?')}  (${answer}${retries})  <- ${from}`;
}

/** What a failure line says: the entry's origin and destination, why it failed, and the error code. */
export interface Failure {
  /** `argv`, a list file or `-` (stdin), and the line there. */
  source: string;
  line: number;
  /** Where the file was going, as the user would open it; undefined when no name was made. */
  path: string | undefined;
  error?: { code: string; message: string } | undefined;
}

/**
 * `FAILED      list.txt:26 -> out/a.bin: 404 Not Found: GET URL (attempt 1, not retried) [ERR_DL_HTTP_STATUS]`.
 * An entry given on the command line has no origin to name but itself (its URL is in the message); a bad list
 * line's message already starts with its `list:line`.
 */
export function failureLine(f: Failure): string {
  const message = f.error?.message ?? 'failed';
  const origin = f.source === 'argv' ? '' : `${f.source}:${f.line}`;
  // A list-line error names its own FILE:LINE (an entry's bad option line may be a later line than its URL's).
  const said =
    origin !== '' && message.startsWith(`${f.source}:`) && /^\d+: /.test(message.slice(f.source.length + 1));
  const where = [said ? '' : origin, f.path ?? ''].filter((w) => w !== '').join(' -> ');
  const text = said || where === '' ? message : `${where}: ${message}`;
  return safeText(`FAILED      ${text} [${f.error?.code ?? 'ERR_DL_NETWORK'}]`);
}

function rawResultLine(r: FileResult): string {
  // The status words of --json and the library (downloaded, skipped, unchanged, failed); resumed is a
  // downloaded one.
  const what =
    r.status === 'downloaded' ? (r.resumed ? 'resumed   ' : 'downloaded') : r.status.padEnd(10, ' ');
  const retries = r.attempts > 1 ? `, ${r.attempts} attempts` : '';
  const digest = r.digest
    ? `, ${r.digest.algorithm} ${r.digest.verified ? 'verified' : r.digest.hex.slice(0, 12)}`
    : '';
  const time =
    r.status === 'downloaded'
      ? `, ${formatSeconds(r.ms)}${retries}${digest}`
      : r.status === 'unchanged'
        ? `, not modified on the server${digest}`
        : `, already present${digest}`;
  const from = r.mirror === undefined ? r.url : `${r.mirror} (mirror of ${r.url})`;
  return `${what}  ${r.path ?? '?'}  (${formatBytes(r.bytes)}${time})  <- ${from}`;
}

/** Failures of the run's own outputs (the --manifest): printed in every mode, -q included, like failed entries. */
export function runErrorLines(s: DownloadSummary): string {
  return s.errors.map((e) => `${safeText(`dlpool: ${e.message} [${e.code}]`)}\n`).join('');
}

export function warningLine(w: WarningEvent): string {
  const where = w.source ? `${w.source}${w.line ? `:${w.line}` : ''}: ` : '';
  return safeText(`dlpool: warning: ${where}${w.message}`);
}

/** The run's last line; `spider`: the run was --spider's, which says what it checked even when all failed. */
export function totalsLine(s: DownloadSummary, spider = false): string {
  if (spider || (s.checked > 0 && s.downloaded === 0 && s.skipped === 0)) {
    return safeText(
      `dlpool: ${s.checked} checked (would download), ${s.failed} failed; in ${formatSeconds(s.elapsedMs)} -> ${s.dir}`,
    );
  }
  const parts = [
    `${s.downloaded} downloaded`,
    `${s.skipped} skipped (already present)`,
    // (-N's count: said only when there is one, so runs without -N read as they always did.)
    ...(s.unchanged > 0 ? [`${s.unchanged} unchanged (not modified on the server)`] : []),
    `${s.failed} failed`,
  ];
  // The speed is of what moved; file bytes are said apart when a resume made them differ.
  const rate = formatRate(s.transferred, s.elapsedMs);
  const moved =
    s.transferred === s.bytes
      ? formatBytes(s.bytes)
      : `${formatBytes(s.bytes)} of files, ${formatBytes(s.transferred)} transferred`;
  const retries = s.retries > 0 ? `, ${s.retries} ${s.retries === 1 ? 'retry' : 'retries'}` : '';
  const toStdout = s.dir === '-';
  const kept = toStdout ? '' : '; .part files kept';
  const stopped = s.interrupted ? ` (interrupted by ${s.interrupted}${kept})` : '';
  const shards = s.shards
    ? `; shards: ${s.shards.taken} run${s.shards.skipped > 0 ? `, ${s.shards.skipped} finished before` : ''}`
    : '';
  return safeText(
    `dlpool: ${parts.join(', ')}; ${moved} in ${formatSeconds(s.elapsedMs)} (${rate})${retries}${shards} -> ${toStdout ? 'stdout' : s.dir}${stopped}`,
  );
}
