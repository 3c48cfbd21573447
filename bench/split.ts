import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { median } from '../src/bench/stats.js';
import { verifyDir } from '../src/bench/verify-dir.js';
import { synthSha256 } from '../src/server/workload.js';
import type { EnvReader } from './lib/env.js';
import { fmt, log, MiB } from './lib/log.js';
import type { BenchEntry } from './lib/main.js';
import { DLPOOL_BIN, REPO } from './lib/paths.js';
import { childEnv, findExecutable, runTimed, startDlpoolServe } from './lib/processes.js';
import { makeFolders } from '../src/common/make-folders.js';

/**
 * `npm run bench:split`: one large file through a per-connection rate cap (`dlpool serve --rate`), fetched with
 * 1, 4 and 8 connections by dlpool (-x) and by aria2c (-x N -s N) in the same run, interleaved. Every run writes
 * into a fresh directory and is checked against the file's sha256.
 */
export interface SplitConfig {
  size: { text: string; bytes: number };
  rate: { text: string; bytes: number };
  runs: number;
  xs: number[];
  /** aria2c too, when installed. */
  aria2: boolean;
  resultsFile: string;
}

export function readSplitConfig(env: EnvReader): SplitConfig {
  return {
    size: env.size('SIZE', '256M'),
    rate: env.size('RATE', '20M'),
    runs: env.int('RUNS', 3, { min: 1 }),
    xs: env.ints('XS', [1, 4, 8], { min: 1, max: 64 }),
    aria2: env.flag('ARIA2', true),
    resultsFile: env.path('RESULTS', 'bench-results/split.json', REPO),
  };
}

export interface SplitRow {
  name: string;
  ok: boolean;
  wall: number | undefined;
  mibs: number | undefined;
  cpu: number | undefined;
  rss: number | undefined;
}

interface SplitRun {
  ok: boolean;
  wall: number;
  cpu: number | undefined;
  rss: number | undefined;
  stderr: string;
}

export interface SplitReport {
  date: string;
  size: string;
  rate: string;
  runs: number;
  node: string;
  rows: SplitRow[];
  raw: { name: string; runs: SplitRun[] }[];
}

/** Medians of a tool's runs, all of which must have passed for `ok`. */
export function splitRow(name: string, runs: readonly SplitRun[], bytes: number): SplitRow {
  const good = runs.filter((x) => x.ok);
  const wall = median(good.map((x) => x.wall));
  const num = (xs: (number | undefined)[]) => median(xs.filter((x): x is number => x !== undefined));
  return {
    name,
    ok: good.length === runs.length,
    wall,
    mibs: wall ? bytes / MiB / wall : undefined,
    cpu: num(good.map((x) => x.cpu)),
    rss: num(good.map((x) => x.rss)),
  };
}

export const splitEntry: BenchEntry<SplitConfig> = {
  name: 'bench:split',
  configure: readSplitConfig,
  async run(cfg, h) {
    const urlPath = `/gen/${cfg.size.text}/big.bin`;
    log(`expected digest of ${cfg.size.text} ...`);
    const expected = new Map([['big.bin', synthSha256(urlPath, cfg.size.bytes)]]);
    const server = await startDlpoolServe(h.scope, { args: ['--rate', cfg.rate.text], env: h.env });
    const url = `${server.url.replace(/\/$/, '')}${urlPath}`;
    const tools: { name: string; argv: (dir: string) => string[] }[] = [];
    for (const x of cfg.xs) {
      tools.push({
        name: `dlpool -x ${x}`,
        argv: (dir) => [
          process.execPath,
          DLPOOL_BIN,
          'get',
          url,
          '-d',
          dir,
          '-x',
          String(x),
          '--progress',
          'none',
        ],
      });
    }
    if (cfg.aria2 && findExecutable(h.env, 'aria2c')) {
      for (const x of cfg.xs.filter((n) => n > 1)) {
        tools.push({
          name: `aria2c -x ${x} -s ${x}`,
          argv: (dir) => [
            'aria2c',
            '-q',
            '-x',
            String(x),
            '-s',
            String(x),
            '--min-split-size=1M',
            '--file-allocation=none',
            '--allow-overwrite=true',
            '-d',
            dir,
            url,
          ],
        });
      }
    } else if (cfg.aria2)
      log('aria2c: skipped (not installed; apt-get install aria2): comparing dlpool only');

    const env = childEnv(h.env);
    const raw = tools.map((t) => ({ name: t.name, runs: [] as SplitRun[] }));
    // Rounds interleave the tools so drift on the machine hits them alike.
    for (let run = 0; run < cfg.runs; run++) {
      for (const [i, t] of tools.entries()) {
        const dir = h.scope.tempDir('dlpool-bench-split-');
        const r = await runTimed(h.scope, t.argv(dir), { env, cwd: dir });
        const bad = r.code === 0 ? await verifyDir(dir, expected) : `exit ${r.code ?? r.signal}`;
        fs.rmSync(dir, { recursive: true, force: true });
        const rss = r.maxRssKiB === undefined ? undefined : r.maxRssKiB / 1024;
        log(
          `${t.name} run ${run + 1}: ${r.wallS.toFixed(2)} s${bad ? ` FAILED ${bad} ${r.output.slice(0, 300)}` : ''}`,
        );
        raw[i]!.runs.push({ ok: !bad, wall: r.wallS, cpu: r.cpuS, rss, stderr: r.output.slice(0, 300) });
      }
    }

    const rows = raw.map((r) => splitRow(r.name, r.runs, cfg.size.bytes));
    const base = rows.find((r) => r.name === 'dlpool -x 1')?.wall;
    const cap = cfg.rate.bytes / MiB;
    let table =
      `${cfg.size.text} file, server capped at ${cfg.rate.text}/s per connection, ` +
      `${os.availableParallelism()} cores, median of ${cfg.runs}\n\n`;
    table +=
      '| tool | wall s | MiB/s | × cap | speed-up vs -x 1 | CPU s | peak RSS MiB | verified |\n|---|---|---|---|---|---|---|---|\n';
    for (const r of rows) {
      const speedup = base && r.wall ? (base / r.wall).toFixed(2) : '–';
      table += `| ${r.name} | ${fmt(r.wall, 2)} | ${fmt(r.mibs, 1)} | ${fmt(r.mibs && r.mibs / cap, 2)} | ${speedup} | ${fmt(r.cpu, 2)} | ${fmt(r.rss, 0)} | ${r.ok ? 'yes' : 'NO'} |\n`;
    }
    process.stdout.write(table);
    const report: SplitReport = {
      date: new Date().toISOString(),
      size: cfg.size.text,
      rate: cfg.rate.text,
      runs: cfg.runs,
      node: process.version,
      rows,
      raw,
    };
    makeFolders(path.dirname(cfg.resultsFile));
    fs.writeFileSync(cfg.resultsFile, `${JSON.stringify(report, null, 2)}\n`);
    log(`wrote ${path.relative(REPO, cfg.resultsFile)}`);
    return rows.every((r) => r.ok) ? 0 : 1;
  },
};
