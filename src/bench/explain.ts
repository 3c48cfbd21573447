import { configFlags } from './flags.js';
import type { BenchConfig, BenchConfigResult, BenchStats, BenchWorkloadResult } from './types.js';

type Measured = BenchConfigResult & { stats: BenchStats };

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const pct = (x: number) => `${Math.round(x * 100)} %`;
const times = (a: number, b: number) => `${(a / b).toFixed(2)}x`;

function fastest(cs: Measured[]): Measured | undefined {
  return cs.reduce<Measured | undefined>(
    (b, c) => (b === undefined || c.stats.wallMs < b.stats.wallMs ? c : b),
    undefined,
  );
}

function label(c: BenchConfig): string {
  const w =
    c.mode === 'threads' || c.hashPool === 'threads' || c.hashPool === 'processes' ? ` -w ${c.workers}` : '';
  const h =
    c.hashPool === 'none' ? '' : c.hashPool === 'inline' ? ', hashing inline' : `, hashing in ${c.hashPool}`;
  const x = (c.split ?? 1) > 1 ? ` -x ${c.split}` : '';
  return `${c.mode} -j ${c.concurrency}${x}${w}${h}`;
}

/** How the CPU figures read: I/O-bound when the CPUs mostly waited, CPU-bound when they were the limit. */
function boundness(st: BenchStats, cores: number): string {
  const busy = `the CPUs were ${pct(st.cpuUtil)} busy on dlpool's behalf (${s(st.cpuMs)} of CPU in ${s(st.wallMs)} on ${cores} cores) and the main event loop ${pct(st.elu)}`;
  if (st.cpuUtil >= 0.8)
    return `${busy}: CPU-bound, the cores were the limit, so more connections cannot help`;
  if (st.elu >= 0.9) {
    return `${busy}: the one event loop was saturated (a core's worth of work) while the other cores had room, so a second loop could help if the server and the disk leave it a core`;
  }
  if (st.cpuUtil < 0.5) {
    return `${busy}: I/O-bound, the time went to waiting on the network and the disk, which concurrency overlaps`;
  }
  return `${busy}: partly CPU-bound`;
}

/**
 * Sentences drawn from one workload's medians, and the configurations to recommend: the fastest verified one,
 * and the fastest verified one that hashes every file when that is another.
 */
export function explain(
  w: BenchWorkloadResult,
  cores: number,
): { lines: string[]; best: BenchConfig | undefined; bestHashing: BenchConfig | undefined } {
  const all = w.configs.filter((c): c is Measured => c.ok && c.stats !== undefined);
  const lines: string[] = [];
  const failed = w.configs.filter((c) => !c.ok);
  if (failed.length > 0) {
    lines.push(
      `${failed.length} configuration(s) failed verification or a download and are out of the running: ` +
        failed.map((c) => `${c.key} (${c.runs.find((r) => !r.ok)?.failure ?? 'failed'})`).join('; ') +
        '.',
    );
  }
  if (all.length === 0) return { lines, best: undefined, bestHashing: undefined };
  const plain = all.filter((c) => c.hashPool === 'none' && (c.split ?? 1) === 1);

  // Concurrency: sequential against the best concurrent setting of the same engine.
  const seq = plain.find((c) => c.concurrency === 1);
  const conc = fastest(plain.filter((c) => c.concurrency > 1 && (!seq || c.mode === seq.mode)));
  if (seq && conc) {
    const gain = seq.stats.wallMs / conc.stats.wallMs;
    lines.push(
      `Sequential (-j 1) took ${s(seq.stats.wallMs)}; the fastest concurrent setting (${label(conc)}) took ` +
        `${s(conc.stats.wallMs)}: ${times(seq.stats.wallMs, conc.stats.wallMs)} faster. ` +
        (gain >= 1.2
          ? 'Downloads overlap their waiting, so concurrency pays.'
          : seq.stats.elu >= 0.8
            ? `Concurrency barely helped: even at -j 1 the event loop was ${pct(seq.stats.elu)} busy, so there was little waiting to overlap; the work per byte and per file was the limit.`
            : 'Concurrency barely helped: the link, the server or the disk was already the limit at -j 1.') +
        ` At that setting ${boundness(conc.stats, cores)}.`,
    );
  }

  // Threads: one event loop against several, same -j, no hashing.
  const asyncRef = fastest(
    plain.filter(
      (c) =>
        c.mode === 'async' &&
        c.concurrency === Math.max(...plain.filter((p) => p.mode === 'threads').map((p) => p.concurrency), 0),
    ),
  );
  const threads = plain.filter((c) => c.mode === 'threads').sort((a, b) => a.workers - b.workers);
  const bestThreads = fastest(threads);
  if (asyncRef && bestThreads) {
    const faster = bestThreads.stats.wallMs < asyncRef.stats.wallMs * 0.95;
    const slower = bestThreads.stats.wallMs > asyncRef.stats.wallMs * 1.05;
    lines.push(
      `Download threads: ${threads.map((t) => `-w ${t.workers} ${s(t.stats.wallMs)}`).join(', ')}, against ` +
        `${s(asyncRef.stats.wallMs)} on one event loop (${s(asyncRef.stats.cpuMs)} CPU; threads -w ${bestThreads.workers}: ` +
        `${s(bestThreads.stats.cpuMs)} CPU). ` +
        (faster
          ? `Threads won: the single loop was ${pct(asyncRef.stats.elu)} busy, so a second loop had work to take over.`
          : slower
            ? asyncRef.stats.elu >= 0.9
              ? `Threads lost although the single loop was ${pct(asyncRef.stats.elu)} busy: with ${cores} cores shared with the server and the disk, the extra loops (messages between threads, more connection pools) cost more CPU than they freed.`
              : `Threads lost: the single loop was only ${pct(asyncRef.stats.elu)} busy, so extra loops added work (messages between threads, more connection pools) without removing a bottleneck.`
            : `No real difference: one loop (${pct(asyncRef.stats.elu)} busy) was enough.`),
    );
  }

  // Hashing: inline against none, and pools against inline, by workers.
  const inline = all.find((c) => c.mode === 'async' && c.hashPool === 'inline');
  // Against the same -j without hashing (the matrix measures hashing at one -j).
  const none = inline && plain.find((c) => c.mode === 'async' && c.concurrency === inline.concurrency);
  if (none && inline) {
    const extraCpu = inline.stats.cpuMs - none.stats.cpuMs;
    // A per-core hashing speed is worth quoting only where hashing dominates the difference (large files, and
    // more than a sixth of the run's CPU); the CPU figures themselves are always given, never judged away.
    const mbps =
      extraCpu > none.stats.cpuMs / 6 && w.bytes / w.files >= 1024 * 1024
        ? w.bytes / 1e6 / (extraCpu / 1000)
        : undefined;
    const cpu =
      extraCpu > 0
        ? `+${s(extraCpu)} of CPU (${s(inline.stats.cpuMs)} against ${s(none.stats.cpuMs)})`
        : `no more CPU (${s(inline.stats.cpuMs)} against ${s(none.stats.cpuMs)})`;
    lines.push(
      `Hashing every file (sha256) inline took ${s(inline.stats.wallMs)} against ${s(none.stats.wallMs)} without: ` +
        cpu +
        (mbps ? `, about ${Math.round(mbps)} MB/s per core` : '') +
        (inline.stats.elu >= 0.9
          ? `. With hashing the event loop was ${pct(inline.stats.elu)} busy: CPU-bound, so cores (a pool) can help where concurrency cannot.`
          : `. The event loop was ${pct(inline.stats.elu)} busy with hashing, so it was not the limit.`),
    );
  }
  for (const pool of ['threads', 'processes'] as const) {
    const ps = all
      .filter((c) => c.hashPool === pool && c.mode === 'async')
      .sort((a, b) => a.workers - b.workers);
    const bestPool = fastest(ps);
    if (!bestPool || !inline) continue;
    const scale =
      ps.length > 1
        ? ps[ps.length - 1]!.stats.wallMs < ps[0]!.stats.wallMs * 0.95
          ? `more workers helped (-w ${ps[0]!.workers} to -w ${bestPool.workers}: ${times(ps[0]!.stats.wallMs, bestPool.stats.wallMs)})`
          : `more workers did not help (${cores} cores, one of them busy downloading)`
        : '';
    lines.push(
      `Hashing in a ${pool === 'threads' ? 'worker-thread' : 'child-process'} pool: ` +
        `${ps.map((p) => `-w ${p.workers} ${s(p.stats.wallMs)}`).join(', ')} against ${s(inline.stats.wallMs)} inline` +
        (scale ? `; ${scale}` : '') +
        (bestPool.stats.wallMs < inline.stats.wallMs
          ? '.'
          : '; handing files to a pool cost more than it saved here.'),
    );
  }
  const half = Math.max(1, Math.floor(cores / 2));
  if (all.some((c) => c.workers !== half)) {
    lines.push(
      `The default -w is half the cores (${half} here), leaving the rest for the downloads' event loop.`,
    );
  }

  // Within a file against across files: the same -j, large files split into ranges (-x).
  const splits = all.filter((c) => (c.split ?? 1) > 1);
  const unsplit = plain.find(
    (c) => splits[0] && c.mode === splits[0].mode && c.concurrency === splits[0].concurrency,
  );
  if (splits.length > 0 && unsplit) {
    const bestSplit = fastest(splits)!;
    const gain = unsplit.stats.wallMs / bestSplit.stats.wallMs;
    lines.push(
      `Splitting large files into ranges: -x ${bestSplit.split} took ${s(bestSplit.stats.wallMs)} against ${s(unsplit.stats.wallMs)} with one connection per file (-j ${unsplit.concurrency}): ` +
        (gain >= 1.1
          ? `${times(unsplit.stats.wallMs, bestSplit.stats.wallMs)} faster, so each connection was being held back (a per-connection cap or latency), not the link.`
          : gain <= 0.9
            ? `${times(bestSplit.stats.wallMs, unsplit.stats.wallMs)} slower: one connection already filled the link, and more only cost CPU.`
            : 'about the same: one connection per file already filled what the link and CPU allow.'),
    );
  }

  const hashing = all.filter((c) => c.hashPool !== 'none');
  const best = fastest(all)!;
  const bestHashing = fastest(hashing);
  // Hashing is measured at one concurrency; say so when the sweep found a better -j for this list.
  const sameJ =
    bestHashing &&
    plain.find(
      (c) =>
        c.mode === bestHashing.mode && c.concurrency === bestHashing.concurrency && c.hashPool === 'none',
    );
  const bestJ = fastest(plain.filter((c) => c.mode === 'async'));
  if (
    bestHashing &&
    sameJ &&
    bestJ &&
    bestJ.concurrency !== bestHashing.concurrency &&
    bestJ.stats.wallMs < sameJ.stats.wallMs * 0.9
  ) {
    lines.push(
      `This list liked a different -j: -j ${bestJ.concurrency} took ${s(bestJ.stats.wallMs)} against ${s(sameJ.stats.wallMs)} at -j ${sameJ.concurrency} (hashing was measured at -j ${bestHashing.concurrency}; try both together).`,
    );
  }
  lines.push(
    `Fastest verified: ${label(best)} (${s(best.stats.wallMs)})` +
      (bestHashing && bestHashing !== best
        ? `; fastest that also hashes every file: ${label(bestHashing)} (${s(bestHashing.stats.wallMs)})`
        : '') +
      '.',
  );
  return { lines, best, bestHashing: bestHashing === best ? undefined : bestHashing };
}

/**
 * The command to recommend: the fastest verified configuration, and, when a slower one was the fastest that
 * hashes every file, that one too (for those who want the proof; it is not what the fastest run did).
 */
export function recommendation(e: {
  best: BenchConfig | undefined;
  bestHashing?: BenchConfig | undefined;
}): string | undefined {
  if (!e.best) return undefined;
  const main = `dlpool get ${configFlags(e.best)} LIST`;
  return e.bestHashing ? `${main} (to hash every file: dlpool get ${configFlags(e.bestHashing)} LIST)` : main;
}
