import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createServer, type RunningServer } from '../server/index.js';
import { baseName, parseWorkload, synthSha256, workloadFiles } from '../server/workload.js';
import type { BenchWorkload } from './run.js';

/** Built-in workloads of `dlpool bench --demo`, served by the embedded server on 127.0.0.1. */
export const DEMO_WORKLOADS: readonly DemoWorkload[] = [
  { name: 'many-small', spec: '600x16K', latencyMs: 0, description: 'many small files' },
  { name: 'few-large', spec: '4x32M', latencyMs: 0, description: 'a few large files' },
  { name: 'latency', spec: '200x8K', latencyMs: 20, description: 'small files behind 20 ms of latency each' },
  // Only when named (--workloads capped): it is there to show what -x does, at ~2 s per configuration.
  {
    name: 'capped',
    spec: '2x32M',
    latencyMs: 0,
    rateBytesPerSec: 16 * 1024 * 1024,
    optIn: true,
    description: 'two large files from a server that caps each connection at 16 MiB/s (try --split 1,4)',
  },
];

interface DemoWorkload {
  name: string;
  spec: string;
  latencyMs: number;
  rateBytesPerSec?: number;
  /** Left out unless named with --workloads. */
  optIn?: boolean;
  description: string;
}

export interface DemoSetup {
  workloads: BenchWorkload[];
  close(): Promise<void>;
}

/**
 * Starts the servers (one plain, one with latency) and writes each workload's URL list to a temporary file.
 * Expected digests come from the synthetic file definition, not from a download.
 */
export async function startDemo(names?: string[]): Promise<DemoSetup> {
  const chosen = DEMO_WORKLOADS.filter((w) => (names ? names.includes(w.name) : !w.optIn));
  const servers = new Map<string, RunningServer>();
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'dlpool-bench-lists-'));
  try {
    const workloads: BenchWorkload[] = [];
    for (const w of chosen) {
      const key = `${w.latencyMs}/${w.rateBytesPerSec ?? 0}`;
      let server = servers.get(key);
      if (!server) {
        server = await createServer({ latencyMs: w.latencyMs, rateBytesPerSec: w.rateBytesPerSec });
        servers.set(key, server);
      }
      const files = [...workloadFiles(w.spec, parseWorkload(w.spec)!)];
      const list = path.join(dir, `${w.name}.txt`);
      await fsp.writeFile(list, files.map((f) => `${server.url}${f.path.slice(1)}\n`).join(''));
      workloads.push({
        name: w.name,
        description: `${w.description}, ${w.spec.replace('x', ' x ')}`,
        sources: [list],
        expected: new Map(files.map((f) => [baseName(f.path), synthSha256(f.path, f.size)])),
        bytes: files.reduce((n, f) => n + f.size, 0),
      });
    }
    return {
      workloads,
      async close() {
        await Promise.all([...servers.values()].map((s) => s.close()));
        await fsp.rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await Promise.all([...servers.values()].map((s) => s.close()));
    await fsp.rm(dir, { recursive: true, force: true });
    throw err;
  }
}
