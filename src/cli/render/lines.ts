import type { FileResult, WarningEvent } from '../../events.js';
import type { DownloadSummary } from '../../report/summary.js';
import { formatBytes, formatRate, formatSeconds } from '../format.js';
import { safeText } from './safe-text.js';

/** One line per finished entry: what happened, where it went, and from which URL. */
export function resultLine(r: FileResult): string {
  return safeText(rawResultLine(r));
}

function rawResultLine(r: FileResult): string {
  if (r.status === 'failed') {
    const msg = r.error?.message ?? 'failed';
    return `FAILED      ${msg} [${r.error?.code ?? 'ERR_DL_NETWORK'}]`;
  }
  // The status words of --json and the library (downloaded, skipped, failed); resumed is a downloaded one.
  const what = r.status === 'downloaded' ? (r.resumed ? 'resumed   ' : 'downloaded') : 'skipped   ';
  const retries = r.attempts > 1 ? `, ${r.attempts} attempts` : '';
  const digest = r.digest
    ? `, ${r.digest.algorithm} ${r.digest.verified ? 'verified' : r.digest.hex.slice(0, 12)}`
    : '';
  const time =
    r.status === 'downloaded' ? `, ${formatSeconds(r.ms)}${retries}${digest}` : `, already present${digest}`;
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

export function totalsLine(s: DownloadSummary): string {
  const parts = [
    `${s.downloaded} downloaded`,
    `${s.skipped} skipped (already present)`,
    `${s.failed} failed`,
  ];
  // The speed is of what moved; file bytes are said apart when a resume made them differ.
  const rate = formatRate(s.transferred, s.elapsedMs);
  const moved =
    s.transferred === s.bytes
      ? formatBytes(s.bytes)
      : `${formatBytes(s.bytes)} of files, ${formatBytes(s.transferred)} transferred`;
  const retries = s.retries > 0 ? `, ${s.retries} ${s.retries === 1 ? 'retry' : 'retries'}` : '';
  const stopped = s.interrupted ? ` (interrupted by ${s.interrupted}; .part files kept)` : '';
  const shards = s.shards
    ? `; shards: ${s.shards.taken} run${s.shards.skipped > 0 ? `, ${s.shards.skipped} finished before` : ''}`
    : '';
  return safeText(
    `dlpool: ${parts.join(', ')}; ${moved} in ${formatSeconds(s.elapsedMs)} (${rate})${retries}${shards} -> ${s.dir}${stopped}`,
  );
}
