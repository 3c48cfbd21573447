import path from 'node:path';
import { configArgs } from '../../src/bench/flags.js';
import { DLPOOL_BIN, HARNESS_DIR } from '../lib/paths.js';
import type { CompareConfig } from './config.js';
import { isVariant, J, type ToolName, variantConfig, variantExtraArgs } from './workloads.js';

/** A workload's inputs: the URL list, the same URLs as a curl config, and the CA for https. */
export interface WorkloadFiles {
  list: string;
  curlrc: string;
  ca?: string | undefined;
}

/** What each tool runs, for the report's `commands`. */
export const COMMANDS = {
  dlpool:
    'node bin/dlpool.js get -q -j 16 [--mode threads] [--hash HASH --hash-pool POOL] [-w N] [--http2] [--ca-certificate CA] -d OUT LIST',
  'node-floor': 'node dist-bench/bench/node-floor.js LIST OUT -j 16 [--ca-certificate CA]',
  curl:
    'curl -q [--cacert CA] --no-progress-meter --show-error --fail --parallel --parallel-max 16 ' +
    '--remote-name-all --output-dir OUT -K CURLRC',
  wget2: 'wget2 --no-config --quiet --no-robots --max-threads=16 [--ca-certificate=CA] -i LIST -P OUT',
};

/** The command line of one run of `tool` into `dir`. */
export function toolArgv(
  tool: ToolName,
  dir: string,
  files: WorkloadFiles,
  hashes: boolean,
  cfg: Pick<CompareConfig, 'hash' | 'baselineBin'>,
): string[] {
  const ca = files.ca;
  if (isVariant(tool)) {
    const flags = configArgs(variantConfig(tool, hashes), cfg.hash);
    const caArgs = ca ? ['--ca-certificate', ca] : [];
    const extra = variantExtraArgs(tool);
    return [process.execPath, DLPOOL_BIN, 'get', '-q', ...flags, ...extra, ...caArgs, '-d', dir, files.list];
  }
  switch (tool) {
    case 'baseline': {
      const caArgs = ca ? ['--ca-certificate', ca] : [];
      return [
        process.execPath,
        cfg.baselineBin!,
        'get',
        '-j',
        String(J),
        '-q',
        ...caArgs,
        '-d',
        dir,
        files.list,
      ];
    }
    case 'node-floor': {
      const floor = path.join(HARNESS_DIR, 'node-floor.js');
      return [
        process.execPath,
        floor,
        files.list,
        dir,
        '-j',
        String(J),
        ...(ca ? ['--ca-certificate', ca] : []),
      ];
    }
    case 'wget2':
      return [
        'wget2',
        '--no-config',
        '--quiet',
        '--no-robots',
        `--max-threads=${J}`,
        ...(ca ? [`--ca-certificate=${ca}`] : []),
        '-i',
        files.list,
        '-P',
        dir,
      ];
    case 'curl':
      return [
        'curl',
        '-q', // first: no ~/.curlrc
        ...(ca ? ['--cacert', ca] : []),
        '--no-progress-meter',
        '--show-error',
        '--fail',
        '--parallel',
        '--parallel-max',
        String(J),
        '--remote-name-all',
        '--output-dir',
        dir,
        '-K',
        files.curlrc,
      ];
  }
}
