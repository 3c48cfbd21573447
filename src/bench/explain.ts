import { compare, render, showSpread, type Comparison, type Part, type Sentence, when } from './claims.js';
import { Explainer, fastest, label, type Measured, NOT_HIGHER, pct, s } from './explainer.js';
import { configFlags } from './flags.js';
import { MIN_RUNS } from './judge.js';
import type { BenchConfig, BenchWorkloadResult } from './types.js';

/**
 * Sentences drawn from one workload's runs, each comparison judged by `judge` from the runs' min-max ranges,
 * and the configurations to recommend: the one with the lowest median when it is faster than another beyond
 * noise, and likewise the one that hashes every file.
 */
export function explain(
  w: BenchWorkloadResult,
  cores: number,
): {
  lines: string[];
  sentences: Sentence[];
  best: BenchConfig | undefined;
  /** Configurations within noise of `best`, and of `bestHashing`. */
  ties: number;
  bestHashing: BenchConfig | undefined;
  hashingTies: number;
} {
  const all = w.configs.filter((c): c is Measured => c.ok && c.stats !== undefined);
  const x = new Explainer(cores);
  const failed = w.configs.filter((c) => !c.ok);
  if (failed.length > 0) {
    x.say(
      'failed',
      `${failed.length} configuration(s) failed verification or a download and are out of the running: ` +
        failed.map((c) => `${c.key} (${c.runs.find((r) => !r.ok)?.failure ?? 'failed'})`).join('; ') +
        '.',
    );
  }
  const done = () => ({ lines: x.sentences.map(render), sentences: x.sentences });
  if (all.length === 0) {
    return { ...done(), best: undefined, ties: 0, bestHashing: undefined, hashingTies: 0 };
  }
  const fewest = Math.min(...all.map((c) => x.side(c, 'wall').spread.n));
  if (fewest < MIN_RUNS) {
    x.say(
      'few-runs',
      `With ${fewest} verified run(s) of a configuration no difference below is claimed and nothing is recommended: a difference counts only where the min-max ranges of ${MIN_RUNS} or more runs do not overlap (--runs ${MIN_RUNS}).`,
    );
  }
  const plain = all.filter((c) => c.hashPool === 'none' && (c.split ?? 1) === 1);

  // Concurrency: sequential against the concurrent setting of the same engine with the lowest median.
  const seq = plain.find((c) => c.concurrency === 1);
  const conc = fastest(plain.filter((c) => c.concurrency > 1 && (!seq || c.mode === seq.mode)));
  if (seq && conc) {
    const c = x.cmp('wall', conc, seq);
    const seqLoop = x.over(seq, 'elu', 0.8);
    x.say(
      'concurrency',
      `Sequential (-j 1) took ${s(seq.stats.wallMs)}; the concurrent setting with the lowest median (${label(conc)}) took ${s(conc.stats.wallMs)}: `,
      { cmp: c },
      '.',
      when(' Downloads overlap their waiting, so concurrency pays.', [c, 'lower']),
      when(
        ` Even at -j 1 the event loop was ${pct(seq.stats.elu)} busy, so there was little waiting to overlap.`,
        [c, 'noise', 'higher'],
        [seqLoop, 'higher'],
      ),
      ' At that setting ',
      x.boundness(conc),
      '.',
    );
  }

  // Threads: one event loop against several, same -j, no hashing.
  const threadsJ = Math.max(...plain.filter((p) => p.mode === 'threads').map((p) => p.concurrency), 0);
  const asyncRef = fastest(plain.filter((c) => c.mode === 'async' && c.concurrency === threadsJ));
  const threads = plain.filter((c) => c.mode === 'threads').sort((a, b) => a.workers - b.workers);
  const bestThreads = fastest(threads);
  if (asyncRef && bestThreads) {
    const c = x.cmp('wall', bestThreads, asyncRef);
    const loop = x.over(asyncRef, 'elu', 0.9);
    const busy = pct(asyncRef.stats.elu);
    x.say(
      'threads',
      `Download threads: ${threads.map((t) => `-w ${t.workers} ${s(t.stats.wallMs)}`).join(', ')}, against ` +
        `${s(asyncRef.stats.wallMs)} on one event loop (${s(asyncRef.stats.cpuMs)} CPU; threads -w ${bestThreads.workers}: ` +
        `${s(bestThreads.stats.cpuMs)} CPU). Threads -w ${bestThreads.workers} against one loop: `,
      { cmp: c },
      '.',
      when(` The single loop was ${busy} busy, so a second loop had work to take over.`, [c, 'lower']),
      when(
        ` Threads lost although the single loop was ${busy} busy: with ${cores} cores shared with the server and the disk, the extra loops (messages between threads, more connection pools) cost more CPU than they freed.`,
        [c, 'higher'],
        [loop, 'higher'],
      ),
      when(
        ` Threads lost: the single loop was ${busy} busy, so extra loops added work (messages between threads, more connection pools) without removing a bottleneck.`,
        [c, 'higher'],
        [loop, ...NOT_HIGHER],
      ),
    );
  }

  hashing(x, w, all, plain);
  const half = Math.max(1, Math.floor(cores / 2));
  if (all.some((c) => c.workers !== half)) {
    x.say(
      'default-w',
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
    const c = x.cmp('wall', bestSplit, unsplit);
    x.say(
      'split',
      `Splitting large files into ranges: -x ${bestSplit.split} took ${s(bestSplit.stats.wallMs)} against ${s(unsplit.stats.wallMs)} with one connection per file (-j ${unsplit.concurrency}): `,
      { cmp: c },
      when(', so each connection was being held back (a per-connection cap or latency), not the link', [
        c,
        'lower',
      ]),
      when(', so one connection already filled the link, and more only cost CPU', [c, 'higher']),
      '.',
    );
  }

  const hashers = all.filter((c) => c.hashPool !== 'none');
  const top = verdictOf(x, 'lowest', 'Lowest median', all);
  // When the lowest median hashes, the sentence above already said how it stands.
  const other =
    hashers.length > 1 && fastest(hashers) !== fastest(all)
      ? verdictOf(x, 'lowest-hashing', 'Lowest median that hashes every file', hashers)
      : undefined;
  return {
    ...done(),
    best: top?.best,
    ties: top?.ties ?? 0,
    bestHashing: other?.best,
    hashingTies: other?.ties ?? 0,
  };
}

/** Hashing inline against none at the same -j, each pool's worker counts against each other and inline. */
function hashing(x: Explainer, w: BenchWorkloadResult, all: Measured[], plain: Measured[]): void {
  const inline = all.find((c) => c.mode === 'async' && c.hashPool === 'inline');
  // Against the same -j without hashing (the matrix measures hashing at one -j).
  const none = inline && plain.find((c) => c.mode === 'async' && c.concurrency === inline.concurrency);
  if (none && inline) {
    const wall = x.cmp('wall', inline, none);
    const cpu = x.cmp('cpu', inline, none);
    const loop = x.over(inline, 'elu', 0.9);
    const extraCpu = inline.stats.cpuMs - none.stats.cpuMs;
    // A per-core hashing speed is worth quoting only where hashing dominates the difference (large files, and
    // more than a sixth of the run's CPU).
    const mbps =
      extraCpu > none.stats.cpuMs / 6 && w.bytes / w.files >= 1024 * 1024
        ? w.bytes / 1e6 / (extraCpu / 1000)
        : undefined;
    x.say(
      'hash-inline',
      `Hashing every file (sha256) inline took ${s(inline.stats.wallMs)} against ${s(none.stats.wallMs)} without: `,
      { cmp: wall },
      `; ${s(inline.stats.cpuMs)} of CPU against ${s(none.stats.cpuMs)}: `,
      { cmp: cpu },
      mbps ? when(`, about ${Math.round(mbps)} MB/s per core`, [cpu, 'higher']) : [],
      `. With hashing the event loop was ${pct(inline.stats.elu)} busy`,
      // CPU-bound only where hashing cost time: a loop that was as busy without hashing says nothing of it.
      when(
        ': CPU-bound, so cores (a pool) can help where concurrency cannot',
        [loop, 'higher'],
        [wall, 'higher'],
      ),
      when(', so it was not the limit', [loop, 'lower']),
      '.',
    );
  }
  for (const pool of ['threads', 'processes'] as const) {
    const ps = all
      .filter((c) => c.hashPool === pool && c.mode === 'async')
      .sort((a, b) => a.workers - b.workers);
    const bestPool = fastest(ps);
    if (!bestPool || !inline) continue;
    const name = (c: Measured) => `-w ${c.workers}`;
    const vsOthers = ps
      .filter((p) => p !== bestPool)
      .map((p) => compare('wall', x.side(bestPool, 'wall', name(bestPool)), x.side(p, 'wall', name(p))));
    const c = x.cmp('wall', bestPool, inline);
    x.say(
      `hash-${pool}`,
      `Hashing in a ${pool === 'threads' ? 'worker-thread' : 'child-process'} pool: ` +
        `${ps.map((p) => `-w ${p.workers} ${s(p.stats.wallMs)}`).join(', ')} against ${s(inline.stats.wallMs)} inline.`,
      vsOthers.length > 0 && vsOthers.every((v) => v.verdict !== 'few-runs')
        ? [` -w ${bestPool.workers}, the lowest median, was `, ...groups(vsOthers), '.']
        : [],
      ` -w ${bestPool.workers} against inline: `,
      { cmp: c },
      when('; handing files to a pool cost more than it saved here', [c, 'higher']),
      '.',
    );
  }
  // Hashing is measured at one concurrency; say so when the sweep found a better -j for this list.
  const bestHashing = fastest(all.filter((c) => c.hashPool !== 'none'));
  const sameJ =
    bestHashing &&
    plain.find((c) => c.mode === bestHashing.mode && c.concurrency === bestHashing.concurrency);
  const bestJ = fastest(plain.filter((c) => c.mode === 'async'));
  if (bestHashing && sameJ && bestJ && bestJ.concurrency !== bestHashing.concurrency) {
    const c = x.cmp('wall', bestJ, sameJ);
    if (c.verdict === 'lower') {
      x.say(
        'other-j',
        when('This list liked a different -j: ', [c, 'lower']),
        `-j ${bestJ.concurrency} took ${s(bestJ.stats.wallMs)} against ${s(sameJ.stats.wallMs)} at -j ${sameJ.concurrency}: `,
        { cmp: c },
        ` (hashing was measured at -j ${bestHashing.concurrency}; try both together).`,
      );
    }
  }
}

/** Comparisons of one configuration against others, grouped by verdict: "faster beyond noise than ...; within noise of ...". */
function groups(cs: Comparison[]): Part[] {
  const out: Part[] = [];
  for (const v of ['lower', 'noise', 'higher', 'few-runs'] as const) {
    const g = cs.filter((c) => c.verdict === v);
    if (g.length > 0) out.push(...(out.length > 0 ? ['; '] : []), { group: g, verdict: v });
  }
  return out;
}

/**
 * The configuration with the lowest median among `cs`, and how it stands against the others; it is returned to
 * be recommended only when it was faster than at least one of them beyond noise.
 */
function verdictOf(
  x: Explainer,
  kind: string,
  title: string,
  cs: Measured[],
): { best: Measured; ties: number } | undefined {
  const best = fastest(cs)!;
  // The others by their rows' names in the table, which hold no commas to confuse a list.
  const vs = cs
    .filter((c) => c !== best)
    .map((c) => compare('wall', x.side(best, 'wall'), x.side(c, 'wall', c.key)));
  const few = vs.some((c) => c.verdict === 'few-runs');
  x.say(
    kind,
    `${title}: ${label(best)} (${showSpread(x.side(best, 'wall').spread, 'wall', 3)})`,
    vs.length > 0 && !few ? [', ', ...groups(vs)] : [],
    '.',
  );
  const ties = vs.filter((c) => c.verdict === 'noise').length;
  return vs.some((c) => c.verdict === 'lower') ? { best, ties } : undefined;
}

/**
 * The command to recommend: the configuration with the lowest median when it was faster than another beyond
 * noise, how many were as good within noise, and beside it the one that hashes every file when that is another.
 */
export function recommendation(e: {
  best: BenchConfig | undefined;
  ties?: number;
  bestHashing?: BenchConfig | undefined;
  hashingTies?: number;
}): string | undefined {
  if (!e.best) return undefined;
  const ties = (n = 0) =>
    n === 0
      ? ''
      : n === 1
        ? ' (or the 1 configuration within noise of it)'
        : ` (or any of the ${n} configurations within noise of it)`;
  const main = `dlpool get ${configFlags(e.best)} LIST${ties(e.ties)}`;
  return e.bestHashing
    ? `${main}; to hash every file: dlpool get ${configFlags(e.bestHashing)} LIST${ties(e.hashingTies)}`
    : main;
}
