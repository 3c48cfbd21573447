import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { machineBusySeconds, treeCpuSeconds } from '../../src/bench/proc.js';
import { round } from '../../src/bench/stats.js';
import { verifyDir } from '../../src/bench/verify-dir.js';
import { createsPerSecond, syncFs } from '../lib/files.js';
import { fmtBytes, log, sleep } from '../lib/log.js';
import type { Harness } from '../lib/main.js';
import { REPO } from '../lib/paths.js';
import { childEnv, findExecutable, GNU_TIME, HOST, runTimed, toolVersion } from '../lib/processes.js';
import type { CompareConfig } from './config.js';
import { prepareCorpus } from './corpus.js';
import {
  type CompareReport,
  markdownTable,
  otherRatios,
  type RunRecord,
  startupTable,
  summarize,
  type ToolSummary,
  type WorkloadResult,
  workloadResult,
} from './report.js';
import { type Server, startDelayServer, startServer } from './servers.js';
import { runStartup } from './startup.js';
import { judgeTargets } from './targets.js';
import { COMMANDS, toolArgv, type WorkloadFiles } from './tools.js';
import {
  J,
  LATENCY_MS,
  SETS,
  type SetName,
  type ToolName,
  toolsFor,
  WORKLOADS,
  type WorkloadName,
} from './workloads.js';
import { makeFolders } from '../../src/common/make-folders.js';

/**
 * `npm run bench`: dlpool against curl --parallel, wget2 and node-floor on loopback servers, in one run.
 * Every run downloads into a new, empty dir, is timed (wall clock; client CPU and max RSS through GNU time),
 * then verified untimed (names, sizes, sha256); failed runs are reported and left out of the statistics. Tools
 * run in interleaved rounds (the order rotated each round) after `warmup` untimed runs each. Exit 1 when any
 * timed run failed.
 */
export async function runCompare(cfg: CompareConfig, h: Harness): Promise<number> {
  const { scope } = h;
  if (cfg.tools.some((t) => t !== 'curl' && t !== 'wget2' && t !== 'baseline') || cfg.server === 'dlpool') {
    if (!fs.existsSync(path.join(REPO, 'dist', 'cli', 'main.js')))
      throw new Error('dist/ is missing: run `npm run build` (npm run bench does)');
  }
  if (!GNU_TIME) log('/usr/bin/time not found: wall clock only (no CPU time, no max RSS)');
  await waitRecentDeletes(cfg.recentDeleteWaitS);

  // After the temp dirs below are removed (the scope undoes in reverse): many files were deleted, so the next
  // bench run waits for ext4 (see waitRecentDeletes).
  scope.defer(() => {
    syncFs(os.tmpdir());
    fs.writeFileSync(DELETE_STAMP, `${Date.now()}\n`);
  });
  const workDir = scope.tempDir('dlpool-bench-');
  const outBase = cfg.outBase
    ? scope.tempDir('dlpool-bench-out-', { parent: cfg.outBase })
    : path.join(workDir, 'out');
  const logDir = path.join(workDir, 'logs');
  makeFolders(logDir);
  makeFolders(outBase);

  const setsUsed = [
    ...new Set([...cfg.workloads.map((w) => WORKLOADS[w].set), ...(cfg.startup ? ['small' as const] : [])]),
  ];
  const { www, sums } = prepareCorpus(cfg.benchDir ?? workDir, setsUsed);
  const plan = {
    scope,
    env: h.env,
    www,
    workDir,
    tls: cfg.workloads.some((w) => WORKLOADS[w].via === 'https'),
  };
  const server = await startServer(cfg, { ...plan, probePath: firstFile(setsUsed[0]!) });
  log(
    `server: ${server.kind}${server.version ? ` (${server.version})` : ''} at ${server.baseUrl}, pid ${server.child.pid}`,
  );
  const delay = cfg.workloads.some((w) => WORKLOADS[w].via === 'latency')
    ? await startDelayServer(cfg, { ...plan, probePath: firstFile('small') })
    : undefined;
  if (delay) log(`latency server: ${delay.kind} at ${delay.baseUrl}, ${LATENCY_MS} ms per response`);

  const files = writeLists(cfg.workloads, workDir, sums, server, delay);
  const missing = new Set(
    (['curl', 'wget2'] as const).filter((t) => cfg.tools.includes(t) && !findExecutable(h.env, t)),
  );
  for (const t of missing) log(`${t}: skipped (not installed)`);

  // (After the corpus is on disk: its writing back would slow the probe and the first runs.)
  syncFs(cfg.benchDir ?? workDir);
  const createsPerS = createsPerSecond(outBase);
  log(`file creation in the output folder: ${createsPerS} files/s`);
  const ctx: RunContext = { cfg, env: childEnv(h.env), logDir, outBase, sums, server, scope };
  const results: Partial<Record<WorkloadName, WorkloadResult>> = {};
  for (const w of cfg.workloads) {
    const wf = files[w];
    if (!wf) continue;
    const tools = toolsFor(w, cfg.tools).filter((t) => !(missing as Set<ToolName>).has(t));
    const runs = await rounds(ctx, w, wf, tools);
    const summaries: Partial<Record<ToolName, ToolSummary>> = {};
    for (const t of tools) summaries[t] = summarize(w, runs.get(t)!);
    results[w] = workloadResult(w, summaries, cfg.hash);
  }
  const first = SETS.small.name(0);
  const startup = cfg.startup
    ? await runStartup(
        { ...ctx, serverPid: server.child.pid! },
        `${server.baseUrl}${firstFile('small')}`,
        new Map([[first, sums.small!.get(first)!]]),
      )
    : undefined;

  // (Again after: a folder written soon after many deletions creates slowly for the first thousands of files.)
  const createsAfterPerS = createsPerSecond(outBase);
  log(`file creation in the output folder after the runs: ${createsAfterPerS} files/s`);
  const cpus = os.cpus();
  const report: CompareReport = {
    date: new Date().toISOString(),
    node: process.version,
    curl: toolVersion('curl', ['--version'])?.split(' ').slice(0, 2).join(' ') ?? null,
    server: { kind: server.kind, version: server.version },
    machine: { cpus: cpus.length, model: cpus[0]?.model ?? null, kernel: os.release() },
    createsPerS,
    createsAfterPerS,
    concurrency: J,
    runs: cfg.runs,
    warmup: cfg.warmup,
    timing: GNU_TIME ? '/usr/bin/time -f "%e %U %S %M" (wall clock from the parent)' : 'wall clock only',
    commands: COMMANDS,
    workloads: results,
    startup,
    targets: {},
    other: {},
  };
  const tg = judgeTargets({ workloads: results, startup });
  const other = otherRatios(results, cfg.hash);
  report.targets = tg.json;
  report.other = other.json;
  const md = [
    `## dlpool bench: ${report.date}`,
    '',
    `Server: ${server.kind}${server.version ? ` (${server.version})` : ''} on ${HOST}; node ${process.version}; ` +
      `${report.curl ?? 'curl ?'}; ${cpus.length} CPUs; ${cfg.runs} timed runs per tool after ${cfg.warmup} ` +
      `warm-up, interleaved; medians of the runs that passed verification. The output folder's file system ` +
      `created ${createsPerS} empty files/s before the runs and ${createsAfterPerS} after them.`,
    '',
    ...Object.entries(results).map(([w, r]) => `${markdownTable(w as WorkloadName, r)}\n`),
    ...(startup ? [`${startupTable(startup)}\n`] : []),
    tg.text,
    '',
    ...(other.text ? [other.text, ''] : []),
  ].join('\n');
  process.stdout.write(md);
  makeFolders(path.dirname(cfg.resultsFile));
  fs.writeFileSync(cfg.resultsFile, `${JSON.stringify(report, null, 2)}\n`);
  log(`wrote ${path.relative(REPO, cfg.resultsFile)}`);
  const failed = [...Object.values(results).map((r) => r.tools), startup?.rows ?? {}].some((tools) =>
    Object.values(tools).some((t) => t.failures.length > 0),
  );
  return failed ? 1 : 0;
}

interface RunContext {
  cfg: CompareConfig;
  env: NodeJS.ProcessEnv;
  logDir: string;
  outBase: string;
  sums: Partial<Record<SetName, Map<string, string>>>;
  server: Server;
  scope: Harness['scope'];
}

const firstFile = (set: SetName) => `${set}/${SETS[set].name(0)}`;

/** One URL list (and curl config) per workload: the set's files from the workload's server. */
function writeLists(
  workloads: readonly WorkloadName[],
  workDir: string,
  sums: RunContext['sums'],
  server: Server,
  delay: Server | undefined,
): Partial<Record<WorkloadName, WorkloadFiles>> {
  const files: Partial<Record<WorkloadName, WorkloadFiles>> = {};
  for (const w of workloads) {
    const { set, via } = WORKLOADS[w];
    const base = via === 'latency' ? delay?.baseUrl : via === 'https' ? server.tlsUrl : server.baseUrl;
    if (!base) {
      log(`${w}: skipped (https needs the nginx server)`);
      continue;
    }
    const urls = [...sums[set]!.keys()].sort().map((n) => `${base}${set}/${n}`);
    const list = path.join(workDir, `${w}.urls`);
    const curlrc = path.join(workDir, `${w}.curlrc`);
    fs.writeFileSync(list, urls.map((u) => `${u}\n`).join(''));
    fs.writeFileSync(curlrc, urls.map((u) => `url = "${u}"\n`).join(''));
    files[w] = { list, curlrc, ca: via === 'https' ? server.caFile : undefined };
  }
  return files;
}

/** Warm-ups, then RUNS rounds over the tools, the order rotated each round. A tool that times out stops. */
async function rounds(
  ctx: RunContext,
  w: WorkloadName,
  files: WorkloadFiles,
  tools: readonly ToolName[],
): Promise<Map<ToolName, RunRecord[]>> {
  const def = SETS[WORKLOADS[w].set];
  log(`== ${w}: ${def.count} x ${fmtBytes(def.size)}, -j ${J}, tools: ${tools.join(', ')}`);
  const runs = new Map(tools.map((t) => [t, [] as RunRecord[]]));
  const skip = new Set<ToolName>();
  for (const t of tools) {
    for (let k = 1; k <= ctx.cfg.warmup; k++) {
      const r = await runOne(ctx, t, w, files, `w${k}`);
      log(`  warm-up ${t}: ${r.wall_s.toFixed(3)} s${r.ok ? '' : ` FAILED (${r.failure})`}`);
      if (r.failure?.startsWith('timeout')) skip.add(t);
    }
  }
  for (let round = 1; round <= ctx.cfg.runs; round++) {
    const parts: string[] = [];
    for (let i = 0; i < tools.length; i++) {
      const t = tools[(i + round - 1) % tools.length]!;
      if (skip.has(t)) continue;
      const r = await runOne(ctx, t, w, files, String(round));
      runs.get(t)!.push(r);
      if (r.failure?.startsWith('timeout')) skip.add(t);
      const rss = r.maxrss_kb ? ` ${(r.maxrss_kb / 1024).toFixed(0)}MiB` : '';
      const cpu = r.cpu_s !== undefined ? ` cpu=${r.cpu_s.toFixed(2)}` : '';
      parts.push(`${t}=${r.wall_s.toFixed(3)}s${cpu}${rss}${r.ok ? '' : '(FAILED)'}`);
    }
    log(`  round ${round}: ${parts.join(' ')}`);
  }
  return runs;
}

async function runOne(
  ctx: RunContext,
  tool: ToolName,
  w: WorkloadName,
  files: WorkloadFiles,
  label: string,
): Promise<RunRecord> {
  const set = WORKLOADS[w].set;
  const dir = path.join(ctx.outBase, w, `${tool}.${label}`);
  if (fs.existsSync(dir)) throw new Error(`output dir already exists: ${dir}`);
  makeFolders(dir);
  syncFs(ctx.outBase); // nothing of the previous run is written back during this one
  const logFile = path.join(ctx.logDir, `${w}.${tool}.${label}.log`);
  const argv = toolArgv(tool, dir, files, WORKLOADS[w].hash, ctx.cfg);
  const serverPid = ctx.server.child.pid!;

  const busy0 = machineBusySeconds();
  const srv0 = treeCpuSeconds(serverPid);
  const r = await runTimed(ctx.scope, argv, { env: ctx.env, logFile, timeoutS: ctx.cfg.runTimeoutS });
  const run: RunRecord = {
    label,
    wall_s: round(r.wallS, 4),
    exit: r.code ?? r.signal,
    server_cpu_s: round(treeCpuSeconds(serverPid) - srv0, 2),
    machine_busy_s: round(machineBusySeconds() - busy0, 2),
    user_s: r.userS,
    sys_s: r.sysS,
    cpu_s: r.cpuS,
    maxrss_kb: r.maxRssKiB,
    ok: false,
  };
  let failure: string | undefined;
  if (r.timedOut) failure = `timeout after ${ctx.cfg.runTimeoutS} s`;
  else if (r.code !== 0) failure = `exit ${r.code ?? r.signal}`;
  // Verification is untimed; a failed exit is still checked, to say what is missing.
  const bad = await verifyDir(dir, ctx.sums[set]!, { size: SETS[set].size });
  if (bad) failure = failure ? `${failure}; ${bad}` : bad;
  run.ok = failure === undefined;
  if (failure) {
    run.failure = failure;
    const tail = fs.readFileSync(logFile, 'utf8').trim().split('\n').slice(-5);
    log(`  ${w}/${tool} ${label} FAILED: ${failure}`);
    for (const l of tail) if (l) log(`      ${l.slice(0, 200)}`);
  }
  // Big outputs (8 files) go at once, before they are ever written back; small ones stay until the end
  // (deleting 2000 files right before the next run would tax its creates, see waitRecentDeletes).
  if (set === 'big') fs.rmSync(dir, { recursive: true, force: true });
  syncFs(ctx.outBase);
  return run;
}

const DELETE_STAMP = path.join(os.tmpdir(), 'dlpool-bench.last-mass-delete');

/**
 * This disk is ext4 without a journal: creating files soon after many were deleted is several times slower
 * (inodes are not reused for 60 s and every create scans past them). So wait when a previous bench run just
 * removed its output dirs.
 */
async function waitRecentDeletes(waitS: number): Promise<void> {
  let last: number;
  try {
    last = Number(fs.readFileSync(DELETE_STAMP, 'utf8'));
  } catch {
    return;
  }
  const left = Math.ceil((last + waitS * 1000 - Date.now()) / 1000);
  if (left > 0) {
    log(`waiting ${left} s: many files were deleted recently (ext4 without journal reuses inodes late)`);
    await sleep(left * 1000);
  }
}
