import fs from 'node:fs';
import path from 'node:path';
import type { Env } from './env.js';
import { EnvError, EnvReader } from './env.js';
import { log } from './log.js';
import { REPO } from './paths.js';
import { Scope } from './scope.js';

/** What `npm run build` last built dist/ from (scripts/build-stamp.mjs); a build removes it first. */
const BUILD_STAMP = path.join(REPO, 'dist', '.build-stamp.json');

function stampOf(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** What every bench gets to run with: the environment its children inherit, and the owner of what it starts. */
export interface Harness {
  env: Env;
  scope: Scope;
}

/** One `npm run bench*` entry: its knobs read (and checked) in one function, then the run, whose result is the exit code. */
export interface BenchEntry<C> {
  /** Prefix of its one-line errors, e.g. 'bench:scale'. */
  name: string;
  /** Reads every knob; throws EnvError on a bad value. `args` are the command-line arguments after the entry's name. */
  configure(env: EnvReader, args: readonly string[]): C;
  run(config: C, h: Harness): Promise<number>;
}

const SIGNALS = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;

/**
 * Runs an entry as a command: the only place in the harness that reads process.env and ends the process.
 * A bad knob: one line naming it, exit 2, nothing started. Otherwise the run's code: 1 on an error, or when
 * dist/ was rebuilt while it ran (its figures would mix two builds). Whatever the run started is stopped and
 * removed at the end, on an error and on SIGINT/SIGTERM/SIGHUP.
 */
export async function runEntry<C>(
  entry: BenchEntry<C>,
  args: readonly string[],
  buildStamp = BUILD_STAMP,
): Promise<never> {
  let config: C;
  try {
    config = entry.configure(new EnvReader(process.env), args);
  } catch (err) {
    if (!(err instanceof EnvError)) throw err;
    process.stderr.write(`${entry.name}: ${err.message}\n`);
    process.exit(2);
  }
  const scope = new Scope();
  process.on('exit', () => scope.closeSync());
  for (const [sig, code] of Object.entries(SIGNALS)) {
    process.on(sig, () => {
      log(`${sig}: stopping`);
      process.exit(code); // 'exit' closes the scope
    });
  }
  const built = stampOf(buildStamp);
  let code: number;
  try {
    code = await entry.run(config, { env: process.env, scope });
  } catch (err) {
    log(`ERROR: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    code = 1;
  }
  if (stampOf(buildStamp) !== built) {
    log(
      'ERROR: dist/ was rebuilt while this ran (a test run rebuilds it when src/ changed): its figures mix two builds',
    );
    code = code === 0 ? 1 : code;
  }
  // Children (servers, Redis) would keep the event loop alive; exit closes the scope and stops them.
  process.exit(code);
}
