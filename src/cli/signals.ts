import { EXIT } from '../report/summary.js';

export type StopSignal = 'SIGINT' | 'SIGTERM';

const EXIT_OF: Record<StopSignal, number> = { SIGINT: EXIT.SIGINT, SIGTERM: EXIT.SIGTERM };

export interface Interrupt {
  /** Aborted by the first SIGINT or SIGTERM; its reason is the signal's name. */
  readonly signal: AbortSignal;
  /** 130 or 143 once a signal came, else undefined: what the command exits with whatever else happened. */
  exitCode(): number | undefined;
  /** What to do before the process ends at once (a progress bar stopped, a JSON document closed), in order. */
  beforeExit(fn: () => void): void;
  /** Stops listening (the command is done). */
  close(): void;
}

/**
 * The one signal policy of every command: the first SIGINT or SIGTERM aborts `signal`, and the command stops what
 * it does, says what it has and ends with 130 or 143; a second signal ends the process at once with that
 * signal's code (what is on disk stays as it is: `.part` files are written as bytes arrive).
 * `atOnce`: a command with nothing to finish (it writes no file) ends on the first signal, as sha256sum does.
 */
export function onInterrupt(atOnce = false): Interrupt {
  const controller = new AbortController();
  let first: StopSignal | undefined;
  const cleanUps: (() => void)[] = [];
  const on = (sig: StopSignal) => {
    if (first === undefined && !atOnce) {
      first = sig;
      controller.abort(sig);
      return;
    }
    for (const fn of cleanUps) fn();
    if (first !== undefined) process.stderr.write('\ndlpool: interrupted again, exiting at once\n');
    process.exit(EXIT_OF[sig]);
  };
  const onInt = () => on('SIGINT');
  const onTerm = () => on('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return {
    signal: controller.signal,
    exitCode: () => (first === undefined ? undefined : EXIT_OF[first]),
    beforeExit: (fn) => {
      cleanUps.push(fn);
    },
    close: () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    },
  };
}
