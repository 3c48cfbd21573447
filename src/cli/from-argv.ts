// A flag's value checked and turned into what the library takes, by the rules the library checks its options
// by (src/option-values.ts): every command's flags go through here, the config file's lines too.

import { UsageError } from '../errors.js';
import {
  delayRange,
  inRange,
  MAX_DELAY_MS,
  type NumberRange,
  rangeText,
  rate,
  secondsToMs,
  wholeRange,
} from '../option-values.js';
import { DOWNLOAD_RANGES } from '../download-options.js';
import { parseShardSpec } from '../shards/shards.js';
import { expectedChoice } from './argv-checks.js';
import { parseByteSize } from '../common/byte-size.js';
import type { OptionSpec } from './command.js';

/** The range an option's value is checked by, in the library's unit: its own, else its DownloadOptions key's. */
export function rangeOf(spec: OptionSpec): NumberRange | undefined {
  if (spec.range !== undefined) return spec.range;
  const key = spec.key;
  return key !== undefined && Object.hasOwn(DOWNLOAD_RANGES, key)
    ? DOWNLOAD_RANGES[key as keyof typeof DOWNLOAD_RANGES]
    : undefined;
}

function seconds(flag: string, v: number, r: NumberRange): number {
  const ms = secondsToMs(v);
  if (!inRange(ms, r)) {
    const days = r.max === MAX_DELAY_MS ? ' (24 days)' : '';
    throw new UsageError(
      `${flag}: expected seconds from ${r.min / 1000} to ${r.max / 1000}${days}, got ${v}`,
    );
  }
  return ms;
}

function number(flag: string, v: unknown, r: NumberRange | undefined): number {
  if (r !== undefined && !inRange(v, r))
    throw new UsageError(`${flag}: expected ${rangeText(r)}, got ${String(v)}`);
  return v as number;
}

/** One item of a value (a list's item, or the value itself) as the library takes it. */
function item(spec: OptionSpec, flag: string, v: unknown): unknown {
  switch (spec.kind) {
    case 'seconds':
      return seconds(flag, v as number, rangeOf(spec) ?? delayRange());
    case 'rate':
      return rate(flag, v);
    case 'count':
      return number(flag, v, rangeOf(spec) ?? wholeRange(Number.MIN_SAFE_INTEGER));
    case 'number':
      return number(flag, v, rangeOf(spec));
    case 'choice':
      // yargs checks a single choice; a list's items are checked here.
      if (spec.choices && !spec.choices.includes(String(v)))
        throw new UsageError(`${flag}: ${expectedChoice(String(v), spec.choices)}`);
      return v;
    case 'size': {
      const { min, unit, examples } = spec.size!;
      const bytes = parseByteSize(String(v));
      if (bytes === undefined || !inRange(bytes, rangeOf(spec) ?? wholeRange(min ?? 0))) {
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

/** The items of a list option (`1, 4,16`), in order, each once. */
function listItems(spec: OptionSpec, flag: string, v: unknown): unknown[] {
  const items = String(v)
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  if (items.length === 0) throw new UsageError(`${flag}: give at least one value`);
  const numeric = spec.kind !== 'choice' && spec.kind !== 'string' && spec.kind !== 'size';
  const value = (x: string) => {
    if (!numeric) return x;
    // As checkValues says a number that is none (not NaN).
    if (Number.isNaN(Number(x))) throw new UsageError(`${flag}: expected a number, got '${x}'`);
    return Number(x);
  };
  return [...new Set(items.map((x) => item(spec, flag, value(x))))];
}

/**
 * One option's value as the library takes it (see OptionKind): seconds in milliseconds, sizes in bytes, a list
 * as an array; a value out of its range is a UsageError naming the flag (`--flag: ...`, said as typed later).
 */
export function fromArgv(spec: OptionSpec, v: unknown): unknown {
  const flag = `--${spec.flag}`;
  return spec.list ? listItems(spec, flag, v) : item(spec, flag, v);
}

/** Every option of a command given on the command line (or by its default), checked before the command runs. */
export function checkArgs(args: Record<string, unknown>, options: readonly OptionSpec[]): void {
  for (const spec of options) {
    const v = args[spec.flag];
    if (v !== undefined) fromArgv(spec, v);
  }
}

/**
 * What a command's flags set in its library call (`T`, the library's options type): each flag with a `key`, its
 * value as fromArgv gives it.
 */
export function libraryOptions<T extends object = Record<string, unknown>>(
  options: readonly OptionSpec[],
  args: object,
): T {
  const out: Record<string, unknown> = {};
  for (const spec of options) {
    const v = (args as Record<string, unknown>)[spec.flag];
    if (spec.key !== undefined && v !== undefined) out[spec.key] = fromArgv(spec, v);
  }
  return out as T;
}
