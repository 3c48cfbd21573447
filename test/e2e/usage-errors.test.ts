import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { runCli } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

/** One line a user can act on, then where to read more: the command's own --help. */
function usage(message: string, command?: string): string {
  return `dlpool: ${message}\nTry 'dlpool${command ? ` ${command}` : ''} --help'.\n`;
}

describe('usage errors: one line naming what was typed, then the command whose --help to read', () => {
  const cases: [string, string[], string, string | undefined][] = [
    [
      'get: a choice',
      ['--mode', 'thread', 'http://127.0.0.1:9/a'],
      "--mode: expected async or threads, got 'thread' (did you mean threads?)",
      undefined,
    ],
    [
      'get: a choice with nothing close',
      ['--progress', 'foo', 'http://127.0.0.1:9/a'],
      "--progress: expected auto, bars, plain or none, got 'foo'",
      undefined,
    ],
    [
      'get: the flag as typed',
      ['-j', '0', 'http://127.0.0.1:9/a'],
      '-j: expected a whole number from 1 to 10000, got 0',
      undefined,
    ],
    [
      'get: the long flag as typed',
      ['--concurrency=0', 'http://127.0.0.1:9/a'],
      '--concurrency: expected a whole number from 1 to 10000, got 0',
      undefined,
    ],
    [
      'get: the short flag with its value attached',
      ['-j0', 'http://127.0.0.1:9/a'],
      '-j: expected a whole number from 1 to 10000, got 0',
      undefined,
    ],
    [
      'get: the long flag and its value as two words',
      ['--concurrency', '0', 'http://127.0.0.1:9/a'],
      '--concurrency: expected a whole number from 1 to 10000, got 0',
      undefined,
    ],
    [
      'hash: a short flag with its value attached',
      ['hash', '-w0', 'f'],
      '-w: expected a whole number from 1 to 256, got 0',
      'hash',
    ],
    [
      'verify: an extra argument is no option',
      ['verify', 'a', 'b'],
      "unexpected argument 'b' (dlpool verify <sums>)",
      'verify',
    ],
    [
      'completion: an extra argument',
      ['completion', 'bash', 'zsh'],
      "unexpected argument 'zsh' (dlpool completion <shell>)",
      'completion',
    ],
    [
      'verify: an extra argument and an unknown option, each by its name',
      ['verify', 'a', 'b', '--bogus'],
      "unknown option --bogus; unexpected argument 'b' (dlpool verify <sums>)",
      'verify',
    ],
    [
      'verify: an unknown option that took the sums file as its value is named, not the missing file',
      ['verify', '--bogus', 'x'],
      'unknown option --bogus',
      'verify',
    ],
    [
      'worker: the cookie jar on stdout',
      ['worker', '--redis', 'redis://127.0.0.1:9', '--list-root', '.', '--cookie-jar', '-'],
      '--cookie-jar: - is not for a worker, which runs until stopped: give a file',
      'worker',
    ],
    [
      'worker: an unknown option is named before a missing required one',
      ['worker', '--redis', 'redis://127.0.0.1:9', '--lits-root', 'x'],
      'unknown option --lits-root (did you mean --list-root?)',
      'worker',
    ],
    [
      'get: one rule with the library (its range, not a looser whole number)',
      ['--per-host', '1.5', 'http://127.0.0.1:9/a'],
      '--per-host: expected a whole number from 1 to 10000, got 1.5',
      undefined,
    ],
    [
      'worker: a get option checked by the library, named as typed',
      ['worker', '--redis', 'redis://127.0.0.1:9', '--list-root', '.', '-j', '0'],
      '-j: expected a whole number from 1 to 10000, got 0',
      'worker',
    ],
    ['a mistyped command', ['verfy', 'x.sums'], "unknown command 'verfy' (did you mean verify?)", undefined],
    [
      'verify: a choice',
      ['verify', 'x.sums', '--hash-pool', 'thread'],
      "--hash-pool: expected inline, threads or processes, got 'thread' (did you mean threads?)",
      'verify',
    ],
    ['hash: a number, short flag', ['hash', '-w', 'x', 'f'], "-w: expected a number, got 'x'", 'hash'],
    ['serve: a number', ['serve', '--port', 'x'], "--port: expected a number, got 'x'", 'serve'],
    [
      'serve: a number out of its range',
      ['serve', '--port', '70000'],
      '--port: expected a whole number from 0 to 65535, got 70000',
      'serve',
    ],
    [
      'serve: a share',
      ['serve', '--fail-rate', '2'],
      '--fail-rate: expected a number from 0 to 1, got 2',
      'serve',
    ],
    [
      'hash: the pool size by the library rule, the flag as typed',
      ['hash', '-w', '0', 'f'],
      '-w: expected a whole number from 1 to 256, got 0',
      'hash',
    ],
    [
      'verify: the same rule',
      ['verify', 'x.sums', '--workers', '300'],
      '--workers: expected a whole number from 1 to 256, got 300',
      'verify',
    ],
    [
      'bench: a count',
      ['bench', '--demo', '--runs', '0'],
      '--runs: expected a whole number from 1 to 100, got 0',
      'bench',
    ],
    [
      'bench: an item of a list, the flag as typed',
      ['bench', '--demo', '-j', '4,0'],
      '-j: expected a whole number from 1 to 10000, got 0',
      'bench',
    ],
    [
      'bench: a list item that is no number',
      ['bench', '--demo', '-w', '1,two'],
      "-w: expected a number, got 'two'",
      'bench',
    ],
    [
      'bench: a choice in a list',
      ['bench', '--demo', '--modes', 'async,thread'],
      "--modes: expected async or threads, got 'thread' (did you mean threads?)",
      'bench',
    ],
    [
      'queue: a shard size of 0 is refused, not taken as the default',
      ['queue', 'add', 'list.txt', '--redis', 'redis://127.0.0.1:9', '--shard-size', '0'],
      '--shard-size: expected a whole number from 1 to 9007199254740991, got 0',
      'queue',
    ],
    [
      'queue: seconds',
      ['queue', 'status', '--redis', 'redis://127.0.0.1:9', '--redis-timeout', '0'],
      '--redis-timeout: expected seconds from 0.001 to 2147483.647 (24 days), got 0',
      'queue',
    ],
    [
      'worker: seconds of its own, before Redis is asked',
      ['worker', '--redis', 'redis://127.0.0.1:9', '--list-root', '.', '--lock', '0.5'],
      '--lock: expected seconds from 1 to 2147483.647 (24 days), got 0.5',
      'worker',
    ],
    [
      'worker: a count of its own',
      ['worker', '--redis', 'redis://127.0.0.1:9', '--list-root', '.', '--shards-at-once', '0'],
      '--shards-at-once: expected a whole number from 1 to 1000, got 0',
      'worker',
    ],
    [
      'bench: an unknown option',
      ['bench', '--rusn', '1'],
      'unknown option --rusn (did you mean --runs?)',
      'bench',
    ],
    [
      'merge: an unknown option',
      ['merge', '--manifets', 'x'],
      'unknown option --manifets (did you mean --manifest?)',
      'merge',
    ],
    [
      'queue: a choice of action',
      ['queue', 'frob', '--redis', 'redis://127.0.0.1:9'],
      "action: expected add, status or results, got 'frob'",
      'queue',
    ],
    [
      'worker: a missing required option',
      ['worker', '--redis', 'redis://127.0.0.1:9'],
      '--list-root DIR is required: the folder whose lists this worker reads; a job naming a file outside it (links resolved) fails',
      'worker',
    ],
  ];
  it.each(cases)('%s', async (_name, args, message, command) => {
    const dir = await tmpDir();
    const r = await runCli(args, { cwd: dir });
    expect(r.stderr).toBe(usage(message, command));
    expect(r.code).toBe(2);
  });

  it('a word close to a command names the command when no such file exists, and is a list when one does', async () => {
    const dir = await tmpDir();
    await fs.writeFile(path.join(dir, 'verfy'), '');
    const r = await runCli(['verfy', '-d', dir], { cwd: dir });
    expect(r.stderr).not.toContain('unknown command');
    expect(r.code).toBe(0);
  });
});

describe('--help examples', () => {
  it.each(COMMANDS.filter((c) => c.examples.length > 0).map((c) => [c.name, c] as const))(
    '%s: every example whole on one line',
    async (_, c) => {
      const r = await runCli([...(c.isDefault ? [] : [c.name]), '--help']);
      const lines = r.stdout.split('\n').map((l) => l.trim());
      for (const [line] of c.examples) expect(lines).toContain(line.replace(/\$0/g, 'dlpool'));
    },
  );
});
