import fsp from 'node:fs/promises';
import path from 'node:path';
import { DEMO_WORKLOADS, startDemo } from '../bench/demo-workloads.js';
import { renderHtml } from '../bench/html.js';
import { explain, recommendation } from '../bench/explain.js';
import { DEFAULT_AXES, type MatrixAxes } from '../bench/matrix.js';
import { renderText } from '../bench/render.js';
import { type BenchWorkload, referenceDigests, runBench } from '../bench/run.js';
import type { BenchHashPool, BenchReport } from '../bench/types.js';
import { DlpoolError, errnoOf, UsageError } from '../errors.js';
import { makeFolders } from '../common/make-folders.js';
import type { EngineMode } from '../options.js';
import { EXIT } from '../report/summary.js';
import { onInterrupt } from './signals.js';
import { STDIN_TOKEN } from './stdin-token.js';
import { type BenchArgs, benchCommand, DEFAULT_RUNS } from './commands/bench.js';
import { optionOf } from './command.js';
import { fromArgv } from './from-argv.js';

/** An axis as given (checked and split by its declaration), or its default. */
function axis<T>(flag: string, v: string | undefined, def: T[]): T[] {
  return v === undefined ? def : (fromArgv(optionOf(benchCommand, flag), v) as T[]);
}

/** argv -> matrix axes; every axis can be narrowed. */
export function toAxes(a: BenchArgs): MatrixAxes {
  return {
    modes: axis<EngineMode>('modes', a.modes, DEFAULT_AXES.modes),
    concurrency: axis('concurrency', a.concurrency, DEFAULT_AXES.concurrency),
    workers: axis('workers', a.workers, DEFAULT_AXES.workers),
    hashPools: axis<BenchHashPool>('hash-pool', a['hash-pool'], DEFAULT_AXES.hashPools),
    split: axis('split', a.split, DEFAULT_AXES.split),
  };
}

/** `dlpool bench`: the matrix on a list (or the built-in demo workloads), a report, a chart, an explanation. */
export async function runBenchCommand(a: BenchArgs): Promise<void> {
  if (a.from !== undefined) return rerender(a.from, a);
  const axes = toAxes(a);
  const runs = a.runs ?? DEFAULT_RUNS;
  const sources = (a.sources ?? []).map((s) => (s === STDIN_TOKEN ? '-' : s));
  if (sources.includes('-'))
    throw new UsageError('sources: bench runs the list many times, so it cannot read stdin');
  if (!a.demo && sources.length === 0)
    throw new UsageError('sources: give a URL list, or --demo for the built-in workloads');
  if (a.demo && sources.length > 0)
    throw new UsageError('--demo: runs the built-in workloads; give no sources with it');

  const names = a.workloads?.split(',').map((w) => w.trim());
  const unknown = names?.find((w) => !DEMO_WORKLOADS.some((d) => d.name === w));
  if (unknown !== undefined) {
    throw new UsageError(
      `--workloads: unknown '${unknown}' (try ${DEMO_WORKLOADS.map((d) => d.name).join(', ')})`,
    );
  }
  makeReportFolders(a);
  const demo = a.demo ? await startDemo(names) : undefined;
  const interrupt = onInterrupt();
  try {
    let workloads: BenchWorkload[];
    if (demo) workloads = demo.workloads;
    else {
      process.stderr.write(
        'dlpool bench: reference download (untimed) to learn the digests every run must match\n',
      );
      const expected = await referenceDigests(sources, a.checksums);
      workloads = [{ name: 'list', description: sources.join(' '), sources, expected }];
    }
    const report = await runBench({
      workloads,
      axes,
      runs,
      signal: interrupt.signal,
      onEvent: (e) => {
        if (e.type === 'workload') {
          process.stderr.write(`dlpool bench: ${e.name}: ${e.configs} configurations x ${e.runs} runs\n`);
        } else if (e.type === 'round') {
          // Measured, not guessed: the rounds left take about what the first took on this machine now.
          if (e.round === 1 && e.runs > 1) {
            const left = (e.elapsedMs * (e.runs - 1)) / 1000;
            process.stderr.write(
              `dlpool bench: ${e.workload}: the first round took ${(e.elapsedMs / 1000).toFixed(0)} s; about ${left.toFixed(0)} s to go for the other ${e.runs - 1}\n`,
            );
          }
        } else {
          const r = e.run;
          const what = r.ok ? `${((r.wallMs ?? 0) / 1000).toFixed(3)} s` : `FAILED: ${r.failure ?? ''}`;
          process.stderr.write(`  ${e.workload} | ${e.config} | run ${e.round}: ${what}\n`);
        }
      },
    });
    process.stdout.write(renderText(report));
    if (a.json) {
      await writeReport(a.json, `${JSON.stringify(report, null, 2)}\n`);
      process.stderr.write(`dlpool bench: wrote ${path.resolve(a.json)}\n`);
    }
    if (a.html) {
      await writeReport(a.html, renderHtml(report));
      process.stderr.write(`dlpool bench: wrote ${path.resolve(a.html)}\n`);
    }
    const failed = report.workloads.some((w) => w.configs.some((c) => !c.ok));
    process.exitCode = failed ? EXIT.FAILED : EXIT.OK;
  } catch (err) {
    // runBench stops with the signal's name: the end of the run, said as such, not an error.
    if (!interrupt.signal.aborted) throw err;
    process.stderr.write(`dlpool bench: interrupted (${String(interrupt.signal.reason)})\n`);
    process.exitCode = interrupt.exitCode();
  } finally {
    interrupt.close();
    await demo?.close();
  }
}

/** `dlpool bench --from FILE`: renders a saved report again (text, and --html), with the explanation redone. */
export async function rerender(file: string, a: BenchArgs): Promise<void> {
  makeReportFolders(a);
  const report = JSON.parse(await fsp.readFile(file, 'utf8')) as BenchReport;
  for (const w of report.workloads) {
    const e = explain(w, report.cores);
    w.explanation = e.lines;
    w.recommendation = recommendation(e);
  }
  process.stdout.write(renderText(report));
  if (a.json) await writeReport(a.json, `${JSON.stringify(report, null, 2)}\n`);
  if (a.html) await writeReport(a.html, renderHtml(report));
}

/** The folders of --json and --html, made before the bench runs: a bad path fails in a second, not after it. */
function makeReportFolders(a: BenchArgs): void {
  for (const file of [a.json, a.html]) {
    if (file === undefined) continue;
    try {
      makeFolders(path.dirname(path.resolve(file)));
    } catch (err) {
      throw new DlpoolError('ERR_DL_INPUT', (err as Error).message, { cause: err });
    }
  }
}

/** A report FILE named on the command line that cannot be written is an input error (exit 2), in one line. */
async function writeReport(file: string, text: string): Promise<void> {
  try {
    await fsp.writeFile(file, text);
  } catch (err) {
    throw new DlpoolError('ERR_DL_INPUT', `cannot write '${file}': ${errnoOf(err) ?? String(err)}`, {
      cause: err,
    });
  }
}
