import { performance } from 'node:perf_hooks';
import { procCpu } from '../bench/proc.js';
import type { BenchConfig, RunMetrics } from '../bench/types.js';
import { download } from '../download.js';
import { EXIT } from '../report/summary.js';

/**
 * One timed run of `dlpool bench`, in a process of its own so peak memory, CPU time and the event loop belong
 * to this configuration alone. argv[2] is `{ config, sources, dir }`; one JSON line of RunMetrics goes to stdout.
 */

/** CPU of exited, reaped child processes (the `processes` hash pool), in ms; 0 where /proc is missing. */
function childCpuMs(): number {
  return (procCpu('self')?.childrenS ?? 0) * 1000;
}

async function probe(): Promise<void> {
  const { config, sources, dir } = JSON.parse(process.argv[2] ?? '{}') as {
    config: BenchConfig;
    sources: string[];
    dir: string;
  };
  const child0 = childCpuMs();
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const summary = await download({
    sources,
    dir,
    concurrency: config.concurrency,
    mode: config.mode,
    workers: config.workers,
    split: config.split ?? 1,
    ...(config.hashPool === 'none' ? {} : { hash: 'sha256', hashPool: config.hashPool }),
    proxy: 'none',
  });
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const elu = performance.eventLoopUtilization(elu0);
  // Pool children exit when the run closes its pool; give the runtime a moment to reap them.
  await new Promise((r) => setTimeout(r, 100));
  const metrics: RunMetrics = {
    wallMs,
    cpuUserMs: cpu.user / 1000,
    cpuSystemMs: cpu.system / 1000,
    childCpuMs: childCpuMs() - child0,
    elu: elu.utilization,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    downloaded: summary.downloaded,
    failed: summary.failed,
    bytes: summary.bytes,
  };
  process.stdout.write(`${JSON.stringify(metrics)}\n`);
}

probe().catch((err: unknown) => {
  process.stderr.write(`bench probe: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = EXIT.FAILED;
});
