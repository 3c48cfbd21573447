import { UsageError } from '../errors.js';
import { MAX_DELAY_MS } from '../options.js';
import { parseShardSpec } from '../shards/shards.js';
import { parseByteSize } from './byte-size.js';
import type { OptionSpec } from './command.js';

/** The longest wait a flag takes, in seconds (what a timer holds: ~24.8 days). */
const MAX_SECONDS = Math.floor(MAX_DELAY_MS / 1000);

function seconds(flag: string, v: number | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!(v > 0 && v <= MAX_SECONDS))
    throw new UsageError(`${flag}: expected seconds above 0 and up to ${MAX_SECONDS} (24 days), got ${v}`);
  return Math.max(1, Math.round(v * 1000));
}

/** One option's value as the library takes it (see OptionKind); errors name the flag as typed. */
export function fromArgv(spec: OptionSpec, v: unknown): unknown {
  const flag = `--${spec.flag}`;
  switch (spec.kind) {
    case 'seconds':
      return seconds(flag, v as number);
    case 'rate':
      // Checked by the library (the message is reworded with the flag).
      return v;
    case 'size': {
      const { min, unit, examples } = spec.size!;
      const bytes = parseByteSize(String(v));
      if (bytes === undefined || bytes < min) {
        throw new UsageError(`${flag}: expected ${unit} such as ${examples}, got ${String(v)}`);
      }
      return bytes;
    }
    case 'headers':
      return Array.isArray(v) ? v : [v];
    case 'shard':
      try {
        return parseShardSpec(String(v));
      } catch (err) {
        throw new UsageError(`${flag}${(err as Error).message.slice('shard'.length)}`);
      }
    default:
      return v;
  }
}
