import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EnvReader } from './lib/env.js';
import { log } from './lib/log.js';
import type { BenchEntry } from './lib/main.js';
import { DLPOOL_BIN, SHARED_BENCH_DEFAULT } from './lib/paths.js';
import { makeFolders } from '../src/common/make-folders.js';

/**
 * `npm run bench:peers`: the shared loopback harness (SHARED_BENCH/peers.sh: curl, wget2, aria2c, ...) with
 * dlpool plugged in as one more peer through OURS_CMD, measured in the same interleaved rounds and verified like
 * the others. Its knobs (N, RUNS, WARMUP, WORKLOADS, BENCH_DIR, PORT, ...) pass through; arguments go to
 * peers.sh unchanged (`npm run bench:peers -- verify small DIR`). peers.sh names the plugged-in peer after
 * OURS_NAME, so it is `dlpool` in PEERS. The shared folder is read-only, so results go to RESULTS_DIR (default
 * $TMPDIR/dlpool-bench-peers). Needs the harness's corpus: run SHARED_BENCH/setup.sh once.
 */
export interface PeersConfig {
  harness: string;
  peers: string;
  resultsDir: string;
  /** An OURS_CMD of the caller's own replaces dlpool's. */
  oursCmd: string | undefined;
  args: string[];
}

export function readPeersConfig(env: EnvReader, args: readonly string[]): PeersConfig {
  const shared = env.path('SHARED_BENCH', SHARED_BENCH_DEFAULT, process.cwd());
  const tmp = env.string('TMPDIR', os.tmpdir());
  return {
    harness: path.join(shared, 'peers.sh'),
    peers: env.string('PEERS', 'curl wget2 aria2c dlpool'),
    resultsDir: env.path('RESULTS_DIR', path.join(tmp, 'dlpool-bench-peers'), process.cwd()),
    oursCmd: env.raw('OURS_CMD'),
    args: [...args],
  };
}

/** A word for `bash -c`: single-quoted, so spaces and `$` in a path stay as they are. */
export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** The OURS_CMD template: peers.sh replaces {n} {dir} {list} by quoted variables. */
export function oursCommand(bin = DLPOOL_BIN): string {
  return `${shellQuote(process.execPath)} ${shellQuote(bin)} get -q -j {n} -d {dir} {list}`;
}

export const peersEntry: BenchEntry<PeersConfig> = {
  name: 'bench:peers',
  configure: readPeersConfig,
  async run(cfg, h) {
    if (!fs.existsSync(cfg.harness))
      throw new Error(`no ${cfg.harness} (set SHARED_BENCH to the shared bench folder)`);
    makeFolders(cfg.resultsDir);
    log(`bench:peers: results in ${cfg.resultsDir}`);
    const env = {
      ...h.env,
      OURS_CMD: cfg.oursCmd ?? oursCommand(),
      OURS_NAME: h.env.OURS_NAME ?? 'dlpool',
      PEERS: cfg.peers,
      RESULTS_DIR: cfg.resultsDir,
    };
    // In the foreground: peers.sh stops what it started on its own exit (and on Ctrl-C, which reaches it too).
    const child = spawn('bash', [cfg.harness, ...cfg.args], { stdio: 'inherit', env });
    return new Promise((resolve) => {
      child.once('error', () => resolve(127));
      child.once('exit', (code, signal) =>
        resolve(code ?? (signal ? 128 + os.constants.signals[signal] : 1)),
      );
    });
  },
};
