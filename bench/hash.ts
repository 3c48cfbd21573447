import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { median } from '../src/bench/stats.js';
import type { EnvReader } from './lib/env.js';
import { writeRandomFile } from './lib/files.js';
import { fmt, log, MiB } from './lib/log.js';
import type { BenchEntry, Harness } from './lib/main.js';
import { DLPOOL_BIN, REPO, SHARED_BENCH_DEFAULT } from './lib/paths.js';
import { childEnv, findExecutable, HOST, runTimed } from './lib/processes.js';
import { makeFolders } from '../src/common/make-folders.js';

/**
 * `npm run bench:hash` (first half): sha256 of FILES x SIZE_MIB files (page cache warm): dlpool verify and hash
 * with each hash pool at 1..MAX_WORKERS workers, against coreutils `sha256sum -c`, `xargs -P N sha256sum` and
 * the Python seed's ProcessPoolExecutor script (SHARED_BENCH/peers/seed_hash_procs.py, when there), in the same
 * run, interleaved; then the peak RSS of `verify` and `get -c` with a checksum file of LINES lines. Prints the
 * issue's targets as ratios of this run. (The second half, `get --hash` against plain `get`, is the compare
 * bench's 'get-hash' preset.) Writes bench-results/hash.json.
 */
export interface HashConfig {
  runs: number;
  files: number;
  sizeBytes: number;
  maxWorkers: number;
  lines: number;
  baselineBin: string | undefined;
  sharedBench: string;
}

const RESULTS_FILE = path.join(REPO, 'bench-results', 'hash.json');
/** Peak RSS a checksum file of LINES lines may cost. */
const RSS_LIMIT_MIB = 200;

export function readHashConfig(env: EnvReader): HashConfig {
  return {
    runs: env.int('RUNS', 3, { min: 1 }),
    files: env.int('FILES', 8, { min: 1 }),
    sizeBytes: env.int('SIZE_MIB', 64, { min: 1 }) * MiB,
    maxWorkers: env.int('MAX_WORKERS', Math.max(2, os.availableParallelism()), { min: 1 }),
    lines: env.int('LINES', 1_000_000, { min: 1 }),
    baselineBin: env.path('BASELINE_BIN', undefined, process.cwd()),
    sharedBench: env.path('SHARED_BENCH', SHARED_BENCH_DEFAULT, process.cwd()),
  };
}

/** One measured command: a shell line run in the corpus folder. */
interface Case {
  name: string;
  cmd: string;
}

interface HashRun {
  ok: boolean;
  wall: number;
  cpu: number | undefined;
  rss: number | undefined;
  stderr: string;
}

export interface HashRow {
  name: string;
  /** Runs that passed / runs. */
  ok: string;
  wall: number | undefined;
  gbps: number | undefined;
  /** Against the first row (sha256sum -c). */
  speedup: number | undefined;
  cpu: number | undefined;
  rss: number | undefined;
}

export interface HashReport {
  date: string;
  node: string;
  cores: number;
  files: number;
  bytes: number;
  runs: number;
  rows: HashRow[];
  memory: { name: string; wall: number; rss: number | undefined }[];
  targets: string[];
}

const q = JSON.stringify;

/** The measured commands, in table order (the first is the reference for `speedup`). */
function cases(cfg: HashConfig, seed: string | undefined): Case[] {
  const bin = q(DLPOOL_BIN);
  const out: Case[] = [{ name: 'sha256sum -c', cmd: 'sha256sum -c --quiet SHA256SUMS' }];
  if (seed) out.push({ name: 'python seed (1 worker)', cmd: `python3 ${q(seed)} -c SHA256SUMS` });
  for (let w = 2; w <= cfg.maxWorkers; w++) {
    out.push({
      name: `xargs -P ${w} sha256sum`,
      cmd: `ls h*.bin | xargs -P ${w} -n 1 sha256sum > /dev/null`,
    });
  }
  out.push({
    name: 'dlpool verify --hash-pool inline',
    cmd: `node ${bin} verify SHA256SUMS -q --hash-pool inline`,
  });
  for (const pool of ['threads', 'processes']) {
    for (let w = 1; w <= cfg.maxWorkers; w++) {
      out.push({
        name: `dlpool verify --hash-pool ${pool} -w ${w}`,
        cmd: `node ${bin} verify SHA256SUMS -q --hash-pool ${pool} -w ${w}`,
      });
      if (cfg.baselineBin) {
        out.push({
          name: `baseline verify --hash-pool ${pool} -w ${w}`,
          cmd: `node ${q(cfg.baselineBin)} verify SHA256SUMS -q --hash-pool ${pool} -w ${w}`,
        });
      }
    }
  }
  for (let w = 1; w <= cfg.maxWorkers; w++) {
    out.push({
      name: `dlpool hash --hash-pool threads -w ${w}`,
      cmd: `node ${bin} hash h*.bin --hash-pool threads -w ${w} > /dev/null`,
    });
  }
  return out;
}

async function timed(h: Harness, cmd: string, cwd: string): Promise<HashRun> {
  const r = await runTimed(h.scope, ['bash', '-c', cmd], { env: childEnv(h.env), cwd });
  const rss = r.maxRssKiB === undefined ? undefined : r.maxRssKiB / 1024;
  return { ok: r.code === 0, wall: r.wallS, cpu: r.cpuS, rss, stderr: r.output.slice(0, 300) };
}

/** A table row from a command's runs: medians of the runs that passed. */
export function hashRow(
  name: string,
  runs: readonly HashRun[],
  totalGB: number,
  baseWall: number | undefined,
): HashRow {
  const ok = runs.filter((r) => r.ok);
  const wall = median(ok.map((x) => x.wall));
  const cpus = ok.map((x) => x.cpu).filter((x): x is number => x !== undefined);
  const rsss = ok.map((x) => x.rss).filter((x): x is number => x !== undefined);
  return {
    name,
    ok: `${ok.length}/${runs.length}`,
    wall,
    gbps: wall ? totalGB / wall : undefined,
    speedup: wall && baseWall ? baseWall / wall : undefined,
    cpu: median(cpus),
    rss: rsss.length ? Math.max(...rsss) : undefined,
  };
}

export const hashEntry: BenchEntry<HashConfig> = {
  name: 'bench:hash',
  configure: readHashConfig,
  async run(cfg, h) {
    const dir = h.scope.tempDir('dlpool-bench-hash-');
    log(`corpus: ${cfg.files} x ${cfg.sizeBytes / MiB} MiB in ${dir}`);
    const sums: string[] = [];
    for (let i = 0; i < cfg.files; i++) {
      const name = `h${i}.bin`;
      sums.push(`${writeRandomFile(path.join(dir, name), cfg.sizeBytes)}  ${name}`);
    }
    fs.writeFileSync(path.join(dir, 'SHA256SUMS'), `${sums.join('\n')}\n`);
    execFileSync(
      'cat',
      fs.readdirSync(dir).map((f) => path.join(dir, f)),
      { stdio: ['ignore', 'ignore', 'inherit'] },
    ); // into the page cache
    const seedFile = path.join(cfg.sharedBench, 'peers', 'seed_hash_procs.py');
    const seed = fs.existsSync(seedFile) && findExecutable(h.env, 'python3') ? seedFile : undefined;
    if (!seed) log(`python seed: skipped (not installed: needs ${seedFile} and python3)`);

    const all = cases(cfg, seed);
    const results = all.map((c) => ({ ...c, runs: [] as HashRun[] }));
    await timed(h, all[all.length - 1]!.cmd, dir); // warm-up
    for (let run = 0; run < cfg.runs; run++) {
      // Rotate the order each round so drift of a shared machine spreads over all configurations.
      for (let k = 0; k < results.length; k++) {
        const c = results[(k + run) % results.length]!;
        const r = await timed(h, c.cmd, dir);
        c.runs.push(r);
        if (!r.ok) log(`FAILED: ${c.name}: ${r.stderr}`);
      }
      log(`round ${run + 1}/${cfg.runs} done`);
    }
    const totalGB = (cfg.files * cfg.sizeBytes) / 1e9;
    const baseWall = median(results[0]!.runs.filter((r) => r.ok).map((r) => r.wall));
    const rows = results.map((r) => hashRow(r.name, r.runs, totalGB, baseWall));
    const table = [
      `### sha256 of ${cfg.files} x ${cfg.sizeBytes / MiB} MiB (page cache warm), ${os.availableParallelism()} cores, median of ${cfg.runs}`,
      '',
      '| command | ok | median s | GB/s | × sha256sum | CPU s | max RSS MiB |',
      '|---|---:|---:|---:|---:|---:|---:|',
      ...rows.map(
        (r) =>
          `| ${r.name} | ${r.ok} | ${fmt(r.wall, 3)} | ${fmt(r.gbps, 2)} | ${fmt(r.speedup, 2)} | ${fmt(r.cpu, 2)} | ${fmt(r.rss, 0)} |`,
      ),
    ].join('\n');
    const memory = await bigChecksumFile(h, cfg, dir);
    const targets = judge(rows, memory.rows);
    process.stdout.write(`${table}\n\n${memory.table}\n\n${targets.join('\n')}\n`);
    const report: HashReport = {
      date: new Date().toISOString(),
      node: process.version,
      cores: os.availableParallelism(),
      files: cfg.files,
      bytes: cfg.files * cfg.sizeBytes,
      runs: cfg.runs,
      rows,
      memory: memory.rows,
      targets,
    };
    makeFolders(path.dirname(RESULTS_FILE));
    fs.writeFileSync(RESULTS_FILE, `${JSON.stringify(report, null, 2)}\n`);
    log(`wrote ${path.relative(REPO, RESULTS_FILE)}`);
    return rows.every((r) => r.ok === `${cfg.runs}/${cfg.runs}`) ? 0 : 1;
  },
};

/**
 * Peak RSS with a checksum file of LINES lines (names of files that are not there): `verify -q` (every line is
 * a result), and `get -c` of one small file from a loopback server, in both modes.
 */
async function bigChecksumFile(h: Harness, cfg: HashConfig, dir: string) {
  const fd = fs.openSync(path.join(dir, 'BIG.SUMS'), 'w');
  let batch: string[] = [];
  for (let i = 0; i < cfg.lines; i++) {
    batch.push(`${crypto.createHash('sha256').update(String(i)).digest('hex')}  d${i % 100}/f${i}.bin\n`);
    if (batch.length === 10_000) {
      fs.writeSync(fd, batch.join(''));
      batch = [];
    }
  }
  fs.writeSync(fd, batch.join(''));
  fs.closeSync(fd);
  const server = http.createServer((_q, s) => s.end('x'));
  await new Promise<void>((r) => server.listen(0, HOST, r));
  const url = `http://${HOST}:${(server.address() as AddressInfo).port}/one.bin`;
  const bin = q(DLPOOL_BIN);
  const memoryCases: Case[] = [
    { name: `verify -q, ${cfg.lines} lines`, cmd: `node ${bin} verify BIG.SUMS -q -w 1 > /dev/null` },
    { name: `get -c, ${cfg.lines} lines (async)`, cmd: `node ${bin} get ${url} -d out-a -q -c BIG.SUMS` },
    {
      name: `get -c, ${cfg.lines} lines (threads -w 2)`,
      cmd: `node ${bin} get ${url} -d out-t -q -c BIG.SUMS --mode threads -w 2`,
    },
  ];
  const rows: HashReport['memory'] = [];
  try {
    for (const c of memoryCases) {
      const r = await timed(h, c.cmd, dir);
      rows.push({ name: c.name, wall: r.wall, rss: r.rss });
      log(`${c.name}: ${r.wall.toFixed(1)} s, ${fmt(r.rss, 0)} MiB`);
    }
  } finally {
    server.closeAllConnections();
    server.close();
  }
  const table = [
    `### a checksum file of ${cfg.lines} lines: peak RSS (target < ${RSS_LIMIT_MIB} MiB)`,
    '',
    '| command | s | max RSS MiB |',
    '|---|---:|---:|',
    ...rows.map((r) => `| ${r.name} | ${r.wall.toFixed(1)} | ${fmt(r.rss, 0)} |`),
  ].join('\n');
  return { rows, table };
}

/** The targets, judged from this run's ratios. */
export function judge(rows: readonly HashRow[], memory: HashReport['memory']): string[] {
  const row = (name: string) => rows.find((r) => r.name === name);
  const lines = ['### targets (ratios of this run)', ''];
  const check = (what: string, value: number | undefined, limit: number) =>
    lines.push(
      `- ${what}: ${value === undefined ? 'n/a' : value.toFixed(2)} (target <= ${limit}) ${value !== undefined && value <= limit ? 'met' : 'MISSED'}`,
    );
  const div = (a: number | undefined, b: number | undefined) => (a !== undefined && b ? a / b : undefined);
  const seed = row('python seed (1 worker)');
  for (const pool of ['threads', 'processes']) {
    const w1 = row(`dlpool verify --hash-pool ${pool} -w 1`);
    const w2 = row(`dlpool verify --hash-pool ${pool} -w 2`);
    if (seed && w2) check(`verify ${pool} -w 2 / python seed, wall`, div(w2.wall, seed.wall), 0.7);
    if (w1 && w2) check(`verify ${pool} -w 2 / -w 1, wall`, div(w2.wall, w1.wall), 0.6);
    if (seed && w1 && seed.cpu && w1.cpu)
      check(`verify ${pool} -w 1 / python seed, CPU`, div(w1.cpu, seed.cpu), 1.1);
  }
  const h2 = row('dlpool hash --hash-pool threads -w 2');
  const x2 = row('xargs -P 2 sha256sum');
  const v2 = row('dlpool verify --hash-pool threads -w 2');
  if (h2 && x2) check('hash -w 2 / xargs -P 2 sha256sum, wall', div(h2.wall, x2.wall), 1);
  if (h2 && v2) check('hash -w 2 / verify -w 2, wall', div(h2.wall, v2.wall), 1);
  for (const m of memory) check(`${m.name}: peak RSS / ${RSS_LIMIT_MIB} MiB`, div(m.rss, RSS_LIMIT_MIB), 1);
  return lines;
}
