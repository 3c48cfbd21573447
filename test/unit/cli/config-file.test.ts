import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GET_OPTIONS } from '../../../src/cli/commands/get-options.js';
import { defaultConfigPath, parseConfig, readConfigText } from '../../../src/cli/config-file.js';
import { tmpDir } from '../../helpers/tmp.js';

describe('defaultConfigPath', () => {
  it('is $XDG_CONFIG_HOME/dlpool/config, else ~/.config/dlpool/config (a relative XDG_CONFIG_HOME is ignored)', () => {
    expect(defaultConfigPath({ XDG_CONFIG_HOME: '/x', HOME: '/h' })).toBe('/x/dlpool/config');
    expect(defaultConfigPath({ HOME: '/h' })).toBe('/h/.config/dlpool/config');
    expect(defaultConfigPath({ XDG_CONFIG_HOME: 'rel', HOME: '/h' })).toBe('/h/.config/dlpool/config');
  });
});

describe('readConfigText', () => {
  it('refuses a FIFO at once instead of waiting for a writer', async () => {
    const dir = await tmpDir();
    const fifo = path.join(dir, 'config');
    execFileSync('mkfifo', [fifo]);
    expect(() => readConfigText(fifo, false)).toThrow(`config file ${fifo}: not a regular file`);
  });

  it('refuses a file that is not UTF-8; a missing default file is no file', async () => {
    const dir = await tmpDir();
    const bad = path.join(dir, 'latin1');
    await writeFile(bad, Buffer.from([0x61, 0xe9, 0x0a]));
    expect(() => readConfigText(bad, false)).toThrow('not UTF-8 text');
    expect(readConfigText(path.join(dir, 'none'), false)).toBeUndefined();
    expect(() => readConfigText(path.join(dir, 'none'), true)).toThrow('cannot open it (ENOENT)');
  });
});

describe('parseConfig', () => {
  it('reads name = value, a bare boolean, comments, CRLF and a BOM, as yargs would give the flags', () => {
    const text =
      '\uFEFF# c\r\nconcurrency = 8\r\n  overwrite  \r\nsplit=4\r\nmin-split-size = 1M\r\njson = false\r\n';
    expect(parseConfig(text, 'F', GET_OPTIONS).map((e) => [e.flag, e.value, e.where])).toEqual([
      ['concurrency', 8, 'F:2'],
      ['overwrite', true, 'F:3'],
      ['split', 4, 'F:4'],
      ['min-split-size', '1M', 'F:5'],
      ['json', false, 'F:6'],
    ]);
  });

  it('refuses a line longer than 4096 characters and the config flags themselves, with FILE:LINE', () => {
    expect(() => parseConfig(`\nuser-agent = ${'a'.repeat(5000)}\n`, 'F', GET_OPTIONS)).toThrow(
      'F:2: line longer than 4096 characters',
    );
    expect(() => parseConfig('config = x\n', 'F', GET_OPTIONS)).toThrow(
      'F:1: config: only on the command line',
    );
  });
});
