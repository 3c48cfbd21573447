// The config file: long options of a command, one a line (`concurrency = 32`), under what the command line gives.
// It is read before the command runs, and each line is checked as the flag would be, so a bad line is FILE:LINE.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DlpoolError, UsageError } from '../errors.js';
import { type DownloadOptions, normalizeOptions } from '../options.js';
import { closest, expectedChoice } from './argv-checks.js';
import type { OptionSpec } from './command.js';
import { fromArgv } from './from-argv.js';
import { shownText } from '../sources/shown-text.js';

/** Flags about the config file itself: not settable from it. */
export const CONFIG_FLAGS: readonly string[] = ['config', 'no-config', 'print-config'];

/** The options whose value `-` on the command line means standard output. */
const TO_STDOUT: readonly string[] = ['output', 'cookie-jar'];

/** A config file is a few hundred bytes; a bound keeps a wrong path (a log, an image) from being read whole. */
const MAX_BYTES = 256 * 1024;
const MAX_LINE = 4096;

/** One option set by the file: its value as yargs would have given it, and where it was written. */
export interface ConfigEntry {
  readonly flag: string;
  readonly value: string | number | boolean;
  readonly where: string;
}

/** `$XDG_CONFIG_HOME/dlpool/config`, or `~/.config/dlpool/config`; a relative XDG_CONFIG_HOME is ignored (XDG). */
export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env['XDG_CONFIG_HOME'];
  const base =
    xdg !== undefined && path.isAbsolute(xdg) ? xdg : path.join(env['HOME'] ?? os.homedir(), '.config');
  return path.join(base, 'dlpool', 'config');
}

function inputError(message: string): DlpoolError {
  return new DlpoolError('ERR_DL_INPUT', message);
}

/**
 * The file's text, or undefined when `required` is false and nothing can be reached there. Opened non-blocking and refused
 * unless a regular file: a FIFO at the path would otherwise hang every run before it starts. Links are followed
 * (dotfile managers link their files in).
 */
export function readConfigText(file: string, required: boolean): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // The default path is looked for, not asked for: one that cannot be reached (no such folder, a home the
    // user may not enter, as for a service account) is no config file, as curl treats an unopenable .curlrc.
    if (!required && (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EACCES')) return undefined;
    throw inputError(`config file ${shownText(file)}: cannot open it (${code ?? String(err)})`);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw inputError(`config file ${shownText(file)}: not a regular file`);
    if (st.size > MAX_BYTES)
      throw inputError(`config file ${shownText(file)}: larger than ${MAX_BYTES / 1024} KiB`);
    const bytes = Buffer.alloc(st.size);
    const n = fs.readSync(fd, bytes, 0, st.size, 0);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, n));
    } catch {
      throw inputError(`config file ${shownText(file)}: not UTF-8 text`);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** The library checks a value's range (`concurrency = 0`): asked here, so the error can name the line. */
function checkValue(spec: OptionSpec, value: string | number | boolean): void {
  const converted = fromArgv(spec, value);
  if (spec.key !== undefined) normalizeOptions({ [spec.key]: converted } as DownloadOptions);
}

/** A line's value as yargs gives the flag's: a number for number kinds, true/false (or nothing) for a boolean. */
function parseValue(spec: OptionSpec, text: string | undefined): string | number | boolean {
  if (spec.kind === 'boolean') {
    if (text === undefined || text === 'true') return true;
    if (text === 'false') return false;
    throw new UsageError(
      `--${spec.flag}: expected true or false (or the name alone for true), got '${text}'`,
    );
  }
  if (text === undefined || text === '')
    throw new UsageError(`--${spec.flag}: needs a value (${spec.flag} = ${spec.value ?? 'VALUE'})`);
  if (spec.choices && !spec.list && !spec.choices.includes(text))
    throw new UsageError(`--${spec.flag}: ${expectedChoice(text, spec.choices)}`);
  // Every run would write there: stdout is asked for on the command line of the run that reads it.
  if (text === '-' && TO_STDOUT.includes(spec.flag)) {
    const typed = spec.alias?.find((a) => a.length === 1);
    throw new UsageError(
      `--${spec.flag}: '-' (standard output) is for the command line only: give ${typed ? `-${typed}` : `--${spec.flag}`} - there`,
    );
  }
  if (spec.kind === 'count' || spec.kind === 'rate' || spec.kind === 'seconds' || spec.kind === 'number') {
    const n = Number(text);
    if (Number.isNaN(n)) throw new UsageError(`--${spec.flag}: expected a number, got '${text}'`);
    return n;
  }
  return text;
}

/**
 * `name = value` lines, `name` alone for a true boolean, `#` comments and blank lines; only the long names of
 * `options` (the file is read without the command line's context, where `-j` is typed). Throws ERR_DL_INPUT
 * naming FILE:LINE for the first bad line.
 */
export function parseConfig(text: string, file: string, options: readonly OptionSpec[]): ConfigEntry[] {
  const entries: ConfigEntry[] = [];
  const settable = options.filter((o) => !CONFIG_FLAGS.includes(o.flag));
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, i) => {
    const where = `${file}:${i + 1}`;
    const fail = (message: string): never => {
      throw inputError(`${shownText(where)}: ${message}`);
    };
    if (raw.length > MAX_LINE) fail(`line longer than ${MAX_LINE} characters`);
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const name = (eq < 0 ? line : line.slice(0, eq)).trim().replace(/^--/, '');
    const text = eq < 0 ? undefined : line.slice(eq + 1).trim();
    if (eq < 0 && /\s/.test(name))
      fail(`expected 'name = value' (or a flag's name alone), got '${shownText(line)}'`);
    const spec = settable.find((o) => o.flag === name);
    if (spec === undefined) {
      const long = options.find((o) => o.alias?.includes(name));
      if (long) fail(`${name}: write the long name, ${long.flag}`);
      if (CONFIG_FLAGS.includes(name)) fail(`${name}: only on the command line`);
      const guess = closest(
        name,
        settable.map((o) => o.flag),
      );
      fail(`unknown option '${shownText(name)}'${guess ? ` (did you mean ${guess}?)` : ''}`);
    }
    try {
      const value = parseValue(spec!, text);
      checkValue(spec!, value);
      entries.push({ flag: spec!.flag, value, where });
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      // The message starts with a flag or a library key (`--per-host:`, `perHost:`): said with the file's name.
      const rest = err.message.replace(/^(--)?[\w.-]+: /, '');
      fail(`${spec!.flag}: ${rest}`);
    }
  });
  return entries;
}
