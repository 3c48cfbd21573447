// The config file under the command line: what the command line does not set, the file does. Loaded only by
// the commands that take get's options (get, worker), after yargs parsed the command line.

import { defaultText, type OptionSpec, repeats } from './command.js';
import { GET_OPTIONS } from './commands/get-options.js';
import { CONFIG_FLAGS, defaultConfigPath, parseConfig, readConfigText } from './config-file.js';
import { safeText } from './render/safe-text.js';

/** Where each set option's values came from (`FILE:LINE` or `command line`), kept on the parsed arguments. */
export const ORIGINS = Symbol('dlpool config origins');

interface Origins {
  /** The file read, if any. */
  file: string | undefined;
  values: Map<string, { value: unknown; where: string }[]>;
}

function asList(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [v];
}

/**
 * Fills `args` (yargs' parsed command line) from the config file: `--config FILE` (which must exist), else the
 * default path (which may be missing), or none with `--no-config` (yargs reads it as `config: false`). The
 * command line wins for one-value options; a repeatable option (`header`, `input-file`) takes the file's values
 * and then the command line's, as curl's .curlrc adds its -H to the command line's.
 */
export function applyConfig(args: Record<string | symbol, unknown>, env = process.env): void {
  const settable = (GET_OPTIONS as readonly OptionSpec[]).filter((o) => !CONFIG_FLAGS.includes(o.flag));
  const origins: Origins = { file: undefined, values: new Map() };
  for (const o of settable) {
    const v = args[o.flag];
    if (v !== undefined)
      origins.values.set(
        o.flag,
        asList(v).map((value) => ({ value, where: 'command line' })),
      );
  }
  args[ORIGINS] = origins;
  if (args['config'] === false) return;
  const named = typeof args['config'] === 'string' ? args['config'] : undefined;
  const file = named ?? defaultConfigPath(env);
  const text = readConfigText(file, named !== undefined);
  if (text === undefined) return;
  origins.file = file;
  const fromFile = new Map<string, { value: unknown; where: string }[]>();
  for (const e of parseConfig(text, file, settable)) {
    fromFile.set(e.flag, [...(fromFile.get(e.flag) ?? []), { value: e.value, where: e.where }]);
  }
  for (const [flag, values] of fromFile) {
    const spec = settable.find((o) => o.flag === flag)!;
    const given = origins.values.get(flag) ?? [];
    const repeat = repeats(spec);
    // A one-value option given twice in the file: the last line, as on the command line.
    const kept = repeat ? [...values, ...given] : given.length > 0 ? given : [values.at(-1)!];
    origins.values.set(flag, kept);
    const list = kept.map((k) => k.value);
    args[flag] = repeat ? list : list[0];
  }
}

/** `name = value` as the file takes it. */
function line(flag: string, value: unknown): string {
  return `${flag} = ${String(value)}`;
}

/**
 * The effective options as a config file (it can be saved as one), each set one under a comment saying where it
 * came from, the others as comments with their default.
 */
export function formatConfig(args: Record<string | symbol, unknown>): string {
  const origins = args[ORIGINS] as Origins | undefined;
  const out = [`# config file: ${origins?.file ?? 'none'}`];
  for (const o of GET_OPTIONS as readonly OptionSpec[]) {
    if (CONFIG_FLAGS.includes(o.flag)) continue;
    const set = origins?.values.get(o.flag);
    if (set === undefined || set.length === 0) {
      const d = defaultText(o).replace(/`/g, '');
      out.push(`# ${o.flag}: ${d === '' ? 'not set' : `${d} (default)`}`);
      continue;
    }
    // Where it came from on a line of its own: the file takes everything after '=' as the value, '#' too.
    for (const s of set) out.push(`# ${s.where}`, line(o.flag, s.value));
  }
  return `${out.map((l) => safeText(l)).join('\n')}\n`;
}
