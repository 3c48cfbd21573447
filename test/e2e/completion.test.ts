import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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

  it('completes the --no- form of a boolean (the parser takes it as false)', async () => {
    expect(await complete('dlpool get --no-rem')).toEqual(['--no-remote-time']);
    expect(await complete('dlpool --no-ins')).toEqual(['--no-insecure']);
  });
});

/** The shell at `file`, or undefined (its tests are then reported skipped, not passed). */
const shellAt = (file: string) => (existsSync(file) ? file : undefined);
const ZSH = shellAt('/usr/bin/zsh');
const FISH = shellAt('/usr/bin/fish');

/**
 * Drives an interactive zsh in a pseudo-terminal (zsh/zpty): compinit, the script sourced, then `line` and TAB;
 * every candidate compadd is given is written to OUT, and a line `<done>` once completion has finished.
 */
const ZSH_DRIVER = `zmodload zsh/zpty || exit 3
script=$1 out=$2 line=$3
: > $out
zpty z zsh -f -i
zpty -w z "PROMPT=''"
zpty -w z "autoload -U compinit; compinit -u -D"
zpty -w z "source \${(q)script}"
zpty -w z "compadd() { if [[ \\\${@[1,(i)(-|--)]} == *-(O|A|D)\\\\ * ]]; then builtin compadd \\"\\$@\\"; return; fi; local -a __h; builtin compadd -A __h \\"\\$@\\"; print -rl -- \\$__h >> \${(q)out}; builtin compadd \\"\\$@\\"; }"
zpty -w z "_dlpool_done() { print -r -- '<done>' >> \${(q)out} }; comppostfuncs=(_dlpool_done)"
zpty -w z "bindkey '^I' complete-word"
zpty -w -n z "$line"$'\\t'
for i in {1..200}; do
  grep -q '<done>' $out 2>/dev/null && break
  zpty -r -t z junk 2>/dev/null
  sleep 0.05
done
zpty -d z
`;

describe.skipIf(!ZSH)('dlpool completion zsh, in a real interactive zsh (zpty)', () => {
  let zshScript = '';
  let driver = '';
  beforeAll(async () => {
    const at = await tmpDir();
    zshScript = path.join(at, '_dlpool');
    driver = path.join(at, 'complete.zsh');
    const r = await runCli(['completion', 'zsh']);
    expect(r.code).toBe(0);
    writeFileSync(zshScript, r.stdout);
    writeFileSync(driver, ZSH_DRIVER);
  });

  /** The candidates zsh offers on TAB after `line`, sorted, once each. */
  async function completeZsh(line: string): Promise<string[]> {
    const out = path.join(await tmpDir(), 'candidates');
    await run(ZSH!, ['-f', driver, zshScript, out, line], { cwd: dir, timeout: 30_000 });
    const lines = readFileSync(out, 'utf8').split('\n');
    expect(lines, `zsh did not finish completing '${line}'`).toContain('<done>');
    return [...new Set(lines.filter((l) => l !== '' && l !== '<done>'))].sort();
  }

  it('completes a command name', async () => {
    expect(await completeZsh('dlpool ver')).toEqual(['verify']);
  });

  it("completes get's long options, and a boolean's --no- form", async () => {
    expect(await completeZsh('dlpool get --mo')).toEqual(['--mode']);
    expect(await completeZsh('dlpool get --no-rem')).toEqual(['--no-remote-time']);
  });

  it("completes an option's choices", async () => {
    expect(await completeZsh('dlpool get --mode ')).toEqual(['async', 'threads']);
  });
});

describe.skipIf(!FISH)('dlpool completion fish, in a real fish', () => {
  let fishScript = '';
  beforeAll(async () => {
    fishScript = path.join(await tmpDir(), 'dlpool.fish');
    const r = await runCli(['completion', 'fish']);
    expect(r.code).toBe(0);
    writeFileSync(fishScript, r.stdout);
  });

  /** What `complete -C` (fish's own TAB) gives for `line`: the candidates without their descriptions, sorted. */
  async function completeFish(line: string): Promise<string[]> {
    const program = 'source $argv[1]; complete -C $argv[2]';
    const { stdout } = await run(FISH!, ['--no-config', '-c', program, fishScript, line], { cwd: dir });
    return stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => l.split('\t')[0]!)
      .sort();
  }

  it('completes a command name', async () => {
    expect(await completeFish('dlpool ver')).toEqual(['verify']);
  });

  it("completes get's long options, and a boolean's --no- form", async () => {
    expect(await completeFish('dlpool get --mo')).toEqual(['--mode']);
    expect(await completeFish('dlpool get --no-rem')).toEqual(['--no-remote-time']);
  });

  it("completes an option's choices", async () => {
    expect(await completeFish('dlpool get --mode ')).toEqual(['async', 'threads']);
  });
});
