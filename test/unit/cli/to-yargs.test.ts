import yargs from 'yargs';
import { describe, expect, it } from 'vitest';
import { repeats } from '../../../src/cli/command.js';
import { SPECS } from '../../../src/cli/commands/specs.js';
import { answersAlone, applyDefaults, yargsOption } from '../../../src/cli/to-yargs.js';
import { serveCommand } from '../../../src/cli/commands/serve.js';
import { SERVE_DEFAULTS } from '../../../src/server/serve-values.js';

describe('what the declarations give yargs', () => {
  it('--print-config asks for nothing the required options are needed for; =false or after -- does not', () => {
    expect(answersAlone(['worker', '--print-config'])).toBe(true);
    expect(answersAlone(['worker', '--print-config=true'])).toBe(true);
    expect(answersAlone(['worker', '--print-config=false'])).toBe(false);
    expect(answersAlone(['worker', '--', '--print-config'])).toBe(false);
    expect(answersAlone(['worker', '-j', '3'])).toBe(false);
  });

  it('sets the declared default values where the command line gave none', () => {
    const args: Record<string, unknown> = { port: 8080 };
    applyDefaults(args, serveCommand.options);
    expect(args).toMatchObject({ port: 8080, host: SERVE_DEFAULTS.host, seed: SERVE_DEFAULTS.seed });
    expect(args['rate']).toBeUndefined();
  });
});

describe('an option given twice', () => {
  // Every option of every command, by the long name then by its first alias: the last value, or all in order.
  const cases = SPECS.flatMap((c) =>
    c.options.filter((o) => o.kind !== 'boolean').map((o) => [`${c.name} --${o.flag}`, o] as const),
  );
  it.each(cases)('%s', async (_, o) => {
    const [first, second] = o.choices && !o.list ? [o.choices[0]!, o.choices.at(-1)!] : ['1', '2'];
    const names = [o.flag, ...(o.alias ?? [])].map((n) => (n.length === 1 ? `-${n}` : `--${n}`));
    const args = await yargs([names[0]!, first, names.at(-1)!, second])
      .option(o.flag, yargsOption(o))
      .strict()
      .exitProcess(false)
      .parseAsync();
    const typed = (v: string) =>
      typeof args[o.flag] === 'number' ||
      (Array.isArray(args[o.flag]) && typeof (args[o.flag] as unknown[])[0] === 'number')
        ? Number(v)
        : v;
    if (repeats(o)) expect(args[o.flag]).toEqual([typed(first), typed(second)]);
    else for (const n of [o.flag, ...(o.alias ?? [])]) expect(args[n]).toEqual(typed(second));
  });
});
