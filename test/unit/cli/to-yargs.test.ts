import { describe, expect, it } from 'vitest';
import { answersAlone, applyDefaults } from '../../../src/cli/to-yargs.js';
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
