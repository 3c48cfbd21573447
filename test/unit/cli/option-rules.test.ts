import { describe, expect, it } from 'vitest';
import { parseByteSize } from '../../../src/common/byte-size.js';
import type { CommandSpec, OptionSpec } from '../../../src/cli/command.js';
import { COMMANDS } from '../../../src/cli/commands/index.js';
import { GET_OPTIONS } from '../../../src/cli/commands/get-options.js';
import { applyOption } from '../../../src/sources/entry-options.js';
import { applyRequestOption } from '../../../src/sources/entry-request.js';
import type { ListEntry } from '../../../src/sources/types.js';
import * as fromArgv from '../../../src/cli/from-argv.js';
import { DlpoolError } from '../../../src/errors.js';
import { hashFiles } from '../../../src/verify/hash-files.js';
import { normalizeOptions } from '../../../src/options.js';
import { addList } from '../../../src/queue/queue.js';
import { redisTarget } from '../../../src/queue/redis-url.js';
import { runWorker } from '../../../src/queue/worker.js';
import { createServer } from '../../../src/server/index.js';
import { verify } from '../../../src/verify/verify.js';

// Every number a flag takes is checked twice: by the CLI before the command runs and by the library function
// the command calls. One rule: the CLI accepts a value exactly when the library accepts it in its own unit.

const NOWHERE = '/nonexistent/dlpool-option-rules';
const REDIS = 'redis://127.0.0.1:1';

type Library = (key: string, value: unknown) => unknown;

/** The library call each command's keyed options reach (its option named by the declaration's key). */
const LIBRARY: Record<string, Library> = {
  get: (key, v) => normalizeOptions({ [key]: v }),
  serve: async (key, v) => (await createServer({ [key]: v })).close(),
  hash: (key, v) => hashFiles([], { [key]: v }),
  verify: (key, v) => verify({ sums: NOWHERE, [key]: v }),
  queue: (key, v) =>
    key === 'redisTimeoutMs' ? redisTarget(REDIS, v as number) : addList(NOWHERE, { redis: REDIS, [key]: v }),
};

/** Options the library takes under another name than a flag's key (or none), as the command hands them over. */
const UNKEYED: Record<string, Library> = {
  'worker shards-at-once': (_, v) =>
    runWorker({ redis: REDIS, listRoot: NOWHERE, get: {}, concurrency: v as number }),
  'worker lock': (_, v) => runWorker({ redis: REDIS, listRoot: NOWHERE, get: {}, lockMs: v as number }),
};

/** What the library is asked for a flag of a command, or undefined when only the CLI takes it (bench). */
function libraryOf(c: CommandSpec, o: OptionSpec): Library | undefined {
  const unkeyed = UNKEYED[`${c.name} ${o.flag}`];
  if (unkeyed !== undefined || o.key === undefined) return unkeyed;
  if (c.name === 'worker') return o.key === 'redisTimeoutMs' ? LIBRARY['queue'] : LIBRARY['get'];
  return LIBRARY[c.name];
}

const NUMERIC = ['count', 'number', 'seconds', 'size', 'rate'];

/** Values around every edge a rule of these kinds has had (0, 1, whole numbers, timers, ports, sizes). */
const EDGES = [
  -1,
  -0.5,
  0,
  1e-6,
  1 / 86_400,
  0.0004,
  0.0005,
  0.001,
  0.5,
  1,
  1.5,
  2,
  64,
  65,
  100,
  101,
  256,
  257,
  1000,
  1001,
  10_000,
  10_001,
  65_535,
  65_536,
  1_000_000,
  1_000_001,
  2_147_483,
  2_147_483.647,
  2_147_483.648,
  2 ** 31 - 1,
  2 ** 31,
  Number.MAX_SAFE_INTEGER,
  2 ** 53 + 2,
  1e300,
];

/** The edges of the option's declared range too (min, max, just past them), in the flag's unit. */
function edgesOf(o: OptionSpec): number[] {
  const r = fromArgv.rangeOf?.(o);
  if (r === undefined) return EDGES;
  const scale = o.kind === 'seconds' ? 1000 : 1;
  const own = [r.min - 1, r.min, r.min + 0.5, r.max, r.max + 1].map((x) => x / scale);
  return [...EDGES, ...own];
}

/** A flag's value as the library takes it: seconds in whole milliseconds, sizes in bytes. */
function inLibraryUnit(o: OptionSpec, v: number): unknown {
  if (o.kind === 'seconds') return Math.round(v * 1000);
  if (o.kind === 'size') return parseByteSize(String(v)) ?? String(v);
  return v;
}

async function accepts(f: () => unknown): Promise<boolean> {
  try {
    await f();
    return true;
  } catch (err) {
    // Only a refused value counts: a list or Redis that is not there is what comes after the checks.
    if (err instanceof DlpoolError && err.code === 'ERR_DL_USAGE') return false;
    return true;
  }
}

const cases = COMMANDS.flatMap((c) =>
  c.options
    .filter((o) => NUMERIC.includes(o.kind) && !o.list && libraryOf(c, o) !== undefined)
    .map((o) => [`${c.name} --${o.flag}`, c, o] as const),
);

describe('a flag and its library option take the same values', () => {
  it('covers every number option of every command that calls a library', () => {
    const names = cases.map(([name]) => name);
    for (const n of [
      'get --concurrency',
      'get --timeout',
      'get --max-size',
      'serve --port',
      'serve --latency',
    ])
      expect(names).toContain(n);
    for (const n of ['hash --workers', 'queue --redis-timeout', 'queue --shard-size', 'worker --lock'])
      expect(names).toContain(n);
    const unchecked = COMMANDS.filter((c) => c.name !== 'bench').flatMap((c) =>
      c.options.filter((o) => NUMERIC.includes(o.kind) && libraryOf(c, o) === undefined).map((o) => o.flag),
    );
    expect(unchecked).toEqual([]);
  });

  it("a size option that states its smallest value states its range's", () => {
    for (const [name, , o] of cases.filter(([, , o]) => o.kind === 'size')) {
      const r = fromArgv.rangeOf(o);
      if (r !== undefined && o.size?.min !== undefined) expect(o.size.min, name).toBe(r.min);
    }
  });

  it("a list entry's timeout= takes the seconds --timeout takes", async () => {
    const timeout = GET_OPTIONS.find((o) => o.flag === 'timeout') as OptionSpec;
    const differ: number[] = [];
    for (const v of edgesOf(timeout)) {
      const flag = await accepts(() => fromArgv.fromArgv(timeout, v));
      const entry = applyRequestOption({ url: 'http://h/' } as ListEntry, 'timeout', String(v)) === undefined;
      if (flag !== entry) differ.push(v);
    }
    expect(differ).toEqual([]);
  });

  it("a list entry's lowest-speed-limit= takes the sizes --speed-limit takes", async () => {
    const speedLimit = GET_OPTIONS.find((o) => o.flag === 'speed-limit') as OptionSpec;
    const texts = [...EDGES.map(String), '10K', '1.5M', '2G', '1k', 'x', '', ' 5', '9007199254740992'];
    const differ: string[] = [];
    for (const t of texts) {
      const flag = await accepts(() => fromArgv.fromArgv(speedLimit, t));
      const entry =
        applyOption({ url: 'http://h/', options: {} } as unknown as ListEntry, `lowest-speed-limit=${t}`) ===
        undefined;
      if (flag !== entry)
        differ.push(
          `'${t}': the flag ${flag ? 'takes' : 'refuses'} it, the entry ${entry ? 'takes' : 'refuses'} it`,
        );
    }
    expect(differ).toEqual([]);
  });

  it.each(cases)('%s', async (_name, c, o) => {
    const library = libraryOf(c, o)!;
    const differ: string[] = [];
    for (const v of edgesOf(o)) {
      const cli = await accepts(() => fromArgv.fromArgv(o, o.kind === 'size' ? String(v) : v));
      const lib = await accepts(() => library(o.key ?? o.flag, inLibraryUnit(o, v)));
      if (cli !== lib)
        differ.push(
          `${v}: the CLI ${cli ? 'accepts' : 'refuses'} it, the library ${lib ? 'accepts' : 'refuses'} it`,
        );
    }
    expect(differ).toEqual([]);
  });
});
