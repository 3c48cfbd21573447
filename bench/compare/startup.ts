import fs from 'node:fs';
import path from 'node:path';
import { machineBusySeconds, treeCpuSeconds } from '../../src/bench/proc.js';
import { round } from '../../src/bench/stats.js';
import { verifyDir } from '../../src/bench/verify-dir.js';
import { makeFolders } from '../../src/common/make-folders.js';
import { log } from '../lib/log.js';
import type { Harness } from '../lib/main.js';
import { DLPOOL_BIN } from '../lib/paths.js';
import { runTimed } from '../lib/processes.js';
import type { CompareConfig } from './config.js';
import { type RunRecord, startupResult, type StartupResult } from './report.js';
import { SETS, STARTUP_ROWS, type StartupRow } from './workloads.js';

/** What a start-up run needs of the compare run. */
export interface StartupContext {
  cfg: Pick<CompareConfig, 'tools' | 'baselineBin' | 'warmup' | 'startupRuns' | 'runTimeoutS'>;
  env: NodeJS.ProcessEnv;
  logDir: string;
  outBase: string;
  scope: Harness['scope'];
  serverPid: number;
}

/** The rows a run has: bare Node always, each build's two when that build is among TOOLS. */
export function startupRows(cfg: Pick<CompareConfig, 'tools'>): StartupRow[] {
  return STARTUP_ROWS.filter(
    (r) => r === 'node -e 0' || cfg.tools.includes(r.startsWith('dlpool') ? 'dlpool' : 'baseline'),
  );
}

/** The command line of one start-up row; `get` writes the one file of `url` into `dir`. */
export function startupArgv(
  row: StartupRow,
  url: string,
  dir: string,
  cfg: Pick<CompareConfig, 'baselineBin'>,
): string[] {
  if (row === 'node -e 0') return [process.execPath, '-e', '0'];
  const bin = row.startsWith('dlpool') ? DLPOOL_BIN : cfg.baselineBin!;
  return row.endsWith('--version')
    ? [process.execPath, bin, '--version']
    : [process.execPath, bin, 'get', url, '-q', '-d', dir];
}

/**
 * WARMUP untimed runs of each row, then STARTUP_RUNS rounds over the rows, the order rotated each round (the
 * commands take ~0.1 s, so many rounds are needed for a steady median). Each `get` goes to a new folder and is
 * verified untimed.
 */
export async function runStartup(
  ctx: StartupContext,
  url: string,
  expected: ReadonlyMap<string, string>,
): Promise<StartupResult> {
  const rows = startupRows(ctx.cfg);
  log(`== startup: ${rows.join(', ')}; ${ctx.cfg.startupRuns} runs each, get of ${url}`);
  const runs = new Map(rows.map((r) => [r, [] as RunRecord[]]));
  for (const row of rows) {
    for (let k = 1; k <= ctx.cfg.warmup; k++) {
      const r = await runOne(ctx, row, url, expected, `w${k}`);
      if (!r.ok) log(`  warm-up ${row}: FAILED (${r.failure})`);
    }
  }
  for (let round = 1; round <= ctx.cfg.startupRuns; round++) {
    for (let i = 0; i < rows.length; i++) {
      const row = rows[(i + round - 1) % rows.length]!;
      runs.get(row)!.push(await runOne(ctx, row, url, expected, String(round)));
    }
    if (round % 10 === 0 || round === ctx.cfg.startupRuns) log(`  startup: ${round} rounds`);
  }
  return startupResult(url, { runs: ctx.cfg.startupRuns, warmup: ctx.cfg.warmup }, runs);
}

async function runOne(
  ctx: StartupContext,
  row: StartupRow,
  url: string,
  expected: ReadonlyMap<string, string>,
  label: string,
): Promise<RunRecord> {
  const slug = row.replace(/[^a-z]+/g, '-');
  const dir = path.join(ctx.outBase, 'startup', `${slug}.${label}`);
  const logFile = path.join(ctx.logDir, `startup.${slug}.${label}.log`);
  const gets = row.endsWith(' get');
  if (gets) makeFolders(dir);
  const busy0 = machineBusySeconds();
  const srv0 = treeCpuSeconds(ctx.serverPid);
  const r = await runTimed(ctx.scope, startupArgv(row, url, dir, ctx.cfg), {
    env: ctx.env,
    logFile,
    timeoutS: ctx.cfg.runTimeoutS,
  });
  let failure: string | undefined;
  if (r.timedOut) failure = `timeout after ${ctx.cfg.runTimeoutS} s`;
  else if (r.code !== 0) failure = `exit ${r.code ?? r.signal}`;
  if (gets) {
    const bad = await verifyDir(dir, expected, { size: SETS.small.size });
    if (bad) failure = failure ? `${failure}; ${bad}` : bad;
    fs.rmSync(dir, { recursive: true, force: true });
  }
  if (failure) log(`  startup/${row} ${label} FAILED: ${failure} (log: ${logFile})`);
  return {
    label,
    wall_s: round(r.wallS, 4),
    exit: r.code ?? r.signal,
    server_cpu_s: round(treeCpuSeconds(ctx.serverPid) - srv0, 2),
    machine_busy_s: round(machineBusySeconds() - busy0, 2),
    user_s: r.userS,
    sys_s: r.sysS,
    cpu_s: r.cpuS,
    maxrss_kb: r.maxRssKiB,
    ok: failure === undefined,
    ...(failure ? { failure } : {}),
  };
}
