/**
 * A standard output that goes away (`dlpool LIST | head -2`, a closed terminal) is not the job failing: the
 * files are the job. Later writes to it are dropped, the run goes on, and the exit code reports the work as if
 * the output had been read. Any other error writing it is said once on stderr, then handled the same way.
 */
export function keepGoingWithoutStdout(stdout: NodeJS.WriteStream = process.stdout): void {
  let gone = false;
  stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (gone) return;
    gone = true;
    if (err.code !== 'EPIPE')
      process.stderr.write(`dlpool: cannot write to standard output: ${err.code ?? err.message}\n`);
    // Every writer in the CLI uses stdout.write: after the first failure it writes nowhere, and a writer that
    // waits for its write to complete is told it did.
    stdout.write = ((_chunk: unknown, encoding?: unknown, done?: unknown) => {
      const callback = typeof encoding === 'function' ? encoding : done;
      if (typeof callback === 'function') queueMicrotask(() => (callback as () => void)());
      return true;
    }) as typeof stdout.write;
  });
}
