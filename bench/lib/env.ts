import path from 'node:path';
import { parseSize } from '../../src/server/synth.js';

/**
 * The harness's environment knobs, read and checked in one place per entry point. A bad value throws an
 * EnvError whose message names the variable; the entry's runner (bench/lib/main.ts) prints it on one line and
 * exits 2. Unset and empty variables take the default.
 */

/** The environment as the harness sees it (process.env, or a test's object). */
export type Env = Readonly<Record<string, string | undefined>>;

/** A bad value of one environment variable. */
export class EnvError extends Error {
  override readonly name = 'EnvError';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable} ${message}`);
  }
}

export interface IntRange {
  /** @default 0 */
  min?: number;
  max?: number;
}

export class EnvReader {
  constructor(readonly env: Env) {}

  /** The value, or undefined when the variable is unset or empty. */
  raw(name: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v === '' ? undefined : v;
  }

  string(name: string, def: string): string {
    return this.raw(name) ?? def;
  }

  /** A whole number within `range` (from 0 up unless told). */
  int(name: string, def: number, range: IntRange = {}): number {
    const v = this.raw(name);
    return v === undefined ? def : wholeNumber(name, v, range);
  }

  /** A whole number, or undefined when unset. */
  optionalInt(name: string, range: IntRange = {}): number | undefined {
    const v = this.raw(name);
    return v === undefined ? undefined : wholeNumber(name, v, range);
  }

  /** A comma- or space-separated list of whole numbers, duplicates dropped. */
  ints(name: string, def: readonly number[], range: IntRange = {}): number[] {
    const v = this.raw(name);
    if (v === undefined) return [...def];
    const items = split(v);
    if (items.length === 0) throw new EnvError(name, 'is empty');
    return [...new Set(items.map((x) => wholeNumber(name, x, range, v)))];
  }

  /** A comma- or space-separated list of names from `allowed`, duplicates dropped, in the order given. */
  list<T extends string>(name: string, def: readonly T[], allowed: readonly T[]): T[] {
    const v = this.raw(name);
    if (v === undefined) return [...def];
    const items = split(v);
    if (items.length === 0) throw new EnvError(name, 'is empty');
    for (const x of items) {
      if (!(allowed as readonly string[]).includes(x))
        throw new EnvError(name, `has an unknown '${x}' (known: ${allowed.join(', ')})`);
    }
    return [...new Set(items)] as T[];
  }

  /** One name from `allowed`. */
  oneOf<T extends string>(name: string, def: T, allowed: readonly T[]): T {
    const v = this.raw(name);
    if (v === undefined) return def;
    if (!(allowed as readonly string[]).includes(v))
      throw new EnvError(name, `must be one of ${allowed.join(', ')}, got '${v}'`);
    return v as T;
  }

  /** 1/0 (also true/false, yes/no). */
  flag(name: string, def: boolean): boolean {
    const v = this.raw(name)?.toLowerCase();
    if (v === undefined) return def;
    if (['1', 'true', 'yes'].includes(v)) return true;
    if (['0', 'false', 'no'].includes(v)) return false;
    throw new EnvError(name, `must be 1 or 0, got '${this.raw(name)}'`);
  }

  /** A size as `dlpool serve` reads it (`0`, `16`, `16K`, `64M`, `1G`): the text and its bytes. */
  size(name: string, def: string): { text: string; bytes: number } {
    const text = this.string(name, def);
    const bytes = parseSize(text);
    if (bytes === undefined) throw new EnvError(name, `must be a size like 16K, 64M or 1G, got '${text}'`);
    return { text, bytes };
  }

  /** A path, resolved against `base`; undefined when unset and no default is given. */
  path(name: string, def: string, base: string): string;
  path(name: string, def: undefined, base: string): string | undefined;
  path(name: string, def: string | undefined, base: string): string | undefined {
    const v = this.raw(name) ?? def;
    return v === undefined ? undefined : path.resolve(base, v);
  }
}

function split(v: string): string[] {
  return v.split(/[\s,]+/).filter(Boolean);
}

function wholeNumber(name: string, text: string, range: IntRange, whole = text): number {
  const min = range.min ?? 0;
  const n = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
  const bounds = range.max === undefined ? `>= ${min}` : `from ${min} to ${range.max}`;
  if (!Number.isSafeInteger(n) || n < min || (range.max !== undefined && n > range.max))
    throw new EnvError(name, `must be a whole number ${bounds}, got '${whole}'`);
  return n;
}
