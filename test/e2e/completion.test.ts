import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

const run = promisify(execFile);

let dir = '';
let script = '';

/**
 * Sources `dlpool completion bash` in a real bash and calls its function as bash would on TAB after `line`
 * (COMP_WORDS, COMP_CWORD), in a folder holding a file and a folder; the candidates, sorted.
 */
async function complete(line: string): Promise<string[]> {
  const words = line.split(' ');
  const program = [
    'source "$1"',
    `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})`,
    `COMP_CWORD=${words.length - 1}`,
    `COMP_LINE='${line}'`,
    'COMP_POINT=${#COMP_LINE}',
    'func=$(complete -p dlpool | sed -E "s/.*-F ([^ ]+).*/\\1/")',
    '"$func" dlpool "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"',
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n');
  const { stdout } = await run('bash', ['--norc', '--noprofile', '-c', program, 'bash', script], {
    cwd: dir,
  });
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .sort();
}

beforeAll(async () => {
  dir = await tmpDir();
  writeFileSync(path.join(dir, 'urls.txt'), 'http://127.0.0.1:1/a\n');
  mkdirSync(path.join(dir, 'out'));
  script = path.join(await tmpDir(), 'dlpool.bash');
  const r = await runCli(['completion', 'bash']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  writeFileSync(script, r.stdout);
});

describe('dlpool completion bash, sourced in bash', () => {
  it('completes a command name', async () => {
    expect(await complete('dlpool ver')).toEqual(['verify']);
  });

  it("completes get's long options", async () => {
    expect(await complete('dlpool get --mo')).toEqual(['--mode']);
  });

  it('completes the default command\'s options without "get"', async () => {
    expect(await complete('dlpool --per')).toEqual(['--per-host']);
  });

  it("completes an option's choices", async () => {
    expect(await complete('dlpool get --mode ')).toEqual(['async', 'threads']);
  });

  it('completes a value after --flag= (bash splits the word at =)', async () => {
    expect(await complete('dlpool get --mode =')).toEqual(['async', 'threads']);
    expect(await complete('dlpool get --mode = th')).toEqual(['threads']);
    expect(await complete('dlpool get --mode = threads ')).toEqual(['out', 'urls.txt']);
  });

  it('completes files for a FILE and folders for a DIR', async () => {
    expect(await complete('dlpool get -i ')).toEqual(['out', 'urls.txt']);
    expect(await complete('dlpool verify SUMS -d ')).toEqual(['out']);
  });

  it('completes folders, not files, for a positional that takes a folder (merge DIR)', async () => {
    expect(await complete('dlpool merge ')).toEqual(['out']);
    expect(await complete('dlpool merge --manifest m.sums ')).toEqual(['out']);
    expect(await complete('dlpool queue add ')).toEqual(['out', 'urls.txt']);
  });

  it("completes another command's options and positional choices", async () => {
    expect(await complete('dlpool verify --hash-p')).toEqual(['--hash-pool']);
    expect(await complete('dlpool queue st')).toEqual(['status']);
    expect(await complete('dlpool completion ')).toEqual(['bash', 'fish', 'zsh']);
  });

  it('offers nothing for a value that is not a file (a number)', async () => {
    expect(await complete('dlpool get -j ')).toEqual([]);
  });
});
