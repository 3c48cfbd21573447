import { describe, expect, it } from 'vitest';
import {
  checkValues,
  closest,
  missingValue,
  rawValue,
  unknownOptionsMessage,
} from '../../../src/cli/argv-checks.js';

const options = {
  key: { concurrency: true, j: true, dir: true, d: true, quiet: true, header: true, H: true },
  alias: { concurrency: ['j'], dir: ['d'], header: ['H'] },
  boolean: ['quiet'],
  number: ['concurrency', 'j'],
};

describe('command-line checks yargs does not make', () => {
  it('finds the text given to an option, in every spelling', () => {
    expect(rawValue(['u', '-j', 'four'], ['--concurrency', '-j'])).toBe('four');
    expect(rawValue(['--concurrency=x', 'u'], ['--concurrency', '-j'])).toBe('x');
    expect(rawValue(['u', '--', '-j', 'four'], ['--concurrency', '-j'])).toBeUndefined();
  });

  it('sees an option given without its value', () => {
    expect(missingValue(['u', '-j'], ['-j'])).toBe(true);
    expect(missingValue(['-j', '-d', 'x'], ['-j'])).toBe(true);
    expect(missingValue(['-j', '--', 'u'], ['-j'])).toBe(true);
    expect(missingValue(['-j', '4'], ['-j'])).toBe(false);
    expect(missingValue(['--retries', '-1'], ['--retries'])).toBe(false);
    expect(missingValue(['u', '--', '-j'], ['-j'])).toBe(false);
  });

  it('says what was typed: not NaN, not a silently dropped option', () => {
    expect(() => checkValues({ concurrency: NaN, j: NaN }, ['-j', 'four'], options)).toThrow(
      "--concurrency: expected a number, got 'four'",
    );
    expect(() => checkValues({}, ['u', '-j'], options)).toThrow('--concurrency: needs a value');
    expect(() => checkValues({ header: '' }, ['u', '-H'], options)).toThrow('--header: needs a value');
    expect(() => checkValues({ concurrency: 4, quiet: true }, ['-j', '4', '--quiet'], options)).not.toThrow();
  });

  it('suggests the option a typo meant', () => {
    const known = ['per-host', 'port', 'root', 'retries', 'hash-pool'];
    expect(closest('per-hots', known)).toBe('per-host');
    expect(closest('prot', known)).toBe('port');
    expect(closest('zzzzzz', known)).toBeUndefined();
    expect(unknownOptionsMessage('Unknown arguments: per-hots, perHots, x', known)).toBe(
      'unknown option --per-hots (did you mean --per-host?); unknown option -x',
    );
    expect(unknownOptionsMessage('Not enough non-option arguments', known)).toBeUndefined();
    // A word typed as it is is an argument too many, not an option.
    expect(
      unknownOptionsMessage(
        'Unknown arguments: b, x',
        known,
        ['verify', 'a', 'b', '-x'],
        'dlpool verify <sums>',
      ),
    ).toBe("unknown option -x; unexpected argument 'b' (dlpool verify <sums>)");
  });
});
