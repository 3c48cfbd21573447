import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { BIN, EMPTY_HOME } from '../helpers/cli.js';

const run = promisify(execFile);

/**
 * `dlpool ARGS --help` in a terminal `columns` wide, as a user sees it: util-linux script(1) gives it a pty,
 * whose width yargs reads (on a pipe it wraps at 110 columns whatever the terminal).
 */
async function helpAt(columns: number, args: string[]): Promise<string[]> {
  const command = `stty cols ${columns} rows 50; exec '${process.execPath}' '${BIN}' ${args.join(' ')} --help`;
  const { stdout } = await run('script', ['-qec', command, '/dev/null'], {
    env: { ...process.env, HOME: EMPTY_HOME, XDG_CONFIG_HOME: EMPTY_HOME, NO_COLOR: '1' },
  });
  return stdout.split(/\r?\n/).map((l) => l.trim());
}

describe('--help in a terminal: every example whole on its own line, however narrow', () => {
  const cases = COMMANDS.filter((c) => c.examples.length > 0).flatMap((c) =>
    [80, 60].map((columns) => [c.name, columns, c] as const),
  );
  it.each(cases)('%s at %i columns', async (_, columns, c) => {
    const lines = await helpAt(columns, c.isDefault ? [] : [c.name]);
    expect(lines).toContain('Examples:');
    for (const [example] of c.examples) expect(lines).toContain(example.replace(/\$0/g, 'dlpool'));
  });
});
