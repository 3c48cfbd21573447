import { type ChildProcess, execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type RunningServer } from '../../src/server/index.js';
import { synthBytes } from '../../src/server/synth.js';
import { BIN, runCli } from '../helpers/cli.js';
import { startServer, type TestServer } from '../helpers/http.js';
import { freePort, REDIS, startRedis } from '../helpers/redis.js';
import { tmpDir } from '../helpers/tmp.js';

/**
 * The blocks of the README and docs/ that show commands without their output, marked with MARK: each is run as
 * written, in a fresh folder with a fresh home, by the shell it is written for, with `dlpool` on PATH; only the
 * addresses and folders of someone else's machine are swapped for the test's (named per block below). Then what
 * the commands leave behind is checked.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MARK = '<!-- commands: test/e2e/doc-commands.test.ts runs these commands -->';

interface Block {
  file: string;
  lang: string;
  text: string;
  /** The file and the block's first line: what a runner below is found by. */
  name: string;
}

async function markedBlocks(file: string): Promise<Block[]> {
  const text = await fs.readFile(path.join(ROOT, file), 'utf8');
  return text
    .split(MARK)
    .slice(1)
    .map((part) => {
      const m = /^\n```(\w*)\n([\s\S]*?)```/.exec(part);
      expect(m, `${file}: a ${MARK} not followed by a fenced block`).not.toBeNull();
      return { file, lang: m![1]!, text: m![2]!, name: `${file}: ${m![2]!.split('\n')[0]}` };
    });
}

const DOCS = (await fs.readdir(path.join(ROOT, 'docs'))).filter((f) => f.endsWith('.md')).sort();
const blocks = (await Promise.all(['README.md', ...DOCS.map((f) => `docs/${f}`)].map(markedBlocks))).flat();

/** A fresh folder with a home in it and a `dlpool` on PATH that runs this checkout's bin/dlpool.js. */
async function sandbox(): Promise<{ cwd: string; home: string; env: NodeJS.ProcessEnv }> {
  const cwd = await tmpDir();
  const home = path.join(cwd, 'home');
  const bin = path.join(cwd, 'bin');
  await fs.mkdir(home);
  await fs.mkdir(bin);
  await fs.writeFile(
    path.join(bin, 'dlpool'),
    `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} "$@"\n`,
    { mode: 0o755 },
  );
  const env = {
    ...process.env,
    CI: 'true',
    NO_COLOR: '1',
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    PATH: `${bin}:${process.env.PATH ?? ''}`,
  };
  return { cwd, home, env };
}

interface ShellRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `script` run by `shell -c` (`-e`: the first failing command fails it). */
async function sh(shell: string, script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<ShellRun> {
  try {
    const { stdout, stderr } = await promisify(execFile)(shell, ['-c', script], { cwd, env });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Runs a block's lines, one after another, stopping at the first that fails. */
const runBlock = (text: string, cwd: string, env: NodeJS.ProcessEnv) =>
  sh('/bin/sh', `set -e\n${text}`, cwd, env);

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** `sha256sum -c SUMS` in `dir`: every line OK. */
async function checkSums(sums: string, dir: string): Promise<string[]> {
  const run = await sh('/bin/sh', `sha256sum -c ${JSON.stringify(sums)}`, dir, process.env);
  expect(run.code, run.stdout + run.stderr).toBe(0);
  return run.stdout.trim().split('\n');
}

let serve: RunningServer;
/** Answers any path with its own bytes; /private/ only with the netrc login and the session cookie. */
let own: TestServer;
const LOGIN = `Basic ${Buffer.from('reader:s3cret-pw').toString('base64')}`;
const bodyOf = (p: string) => Buffer.from(`${p}\n`.repeat(1000));
let redis: ChildProcess | undefined;
let redisUrl = '';

beforeAll(async () => {
  serve = await createServer({});
  own = await startServer((req, res) => {
    const p = new URL(req.url ?? '/', 'http://x').pathname;
    if (p.startsWith('/private/')) {
      if (req.headers.authorization !== LOGIN) return void res.writeHead(401).end();
      if (!/(^|; )session=abc123(;|$)/.test(req.headers.cookie ?? '')) return void res.writeHead(403).end();
      res.setHeader('set-cookie', 'seen=yes; Path=/; Max-Age=3600');
    }
    const b = bodyOf(p);
    res.writeHead(200, { 'content-length': String(b.length) }).end(b);
  });
  if (REDIS) {
    const port = await freePort();
    redis = await startRedis(port);
    redisUrl = `redis://127.0.0.1:${port}`;
  }
});
afterAll(async () => {
  await serve.close();
  await own.close();
  redis?.kill('SIGKILL');
});

/** Six URLs of the synthetic server, as a list. */
const sixUrls = () =>
  Array.from({ length: 6 }, (_, i) => `${serve.url}gen/${(i + 1) * 10}K/f${i}.bin`).join('\n') + '\n';

/** How each marked block is run and checked, by its name; a block without one fails the first test. */
const RUNNERS: Record<string, () => Promise<void>> = {
  'docs/recipes.md: 0 3 * * * dlpool -N -i /srv/lists/mirror.txt -d /srv/mirror -q': async () => {
    const { cwd, env } = await sandbox();
    const block = blocks.find((b) => b.lang === 'crontab')!;
    // The command cron runs: the line after its five time fields, with /srv in the test's folder.
    const command = block.text.trim().split(/\s+/).slice(5).join(' ').replaceAll('/srv/', `${cwd}/srv/`);
    await fs.mkdir(path.join(cwd, 'srv/lists'), { recursive: true });
    const urls = [`${serve.url}gen/64K/a.bin`, `${serve.url}gen/1M/b.bin`];
    await fs.writeFile(path.join(cwd, 'srv/lists/mirror.txt'), urls.join('\n') + '\n');
    const first = await sh('/bin/sh', command, cwd, env);
    expect(first, 'first night').toEqual({ code: 0, stdout: '', stderr: '' });
    const a = path.join(cwd, 'srv/mirror/a.bin');
    expect(sha256(await fs.readFile(a))).toBe(sha256(synthBytes('/gen/64K/a.bin', 0, 65536)));
    const before = await fs.stat(a);
    // The next night: nothing changed on the server, nothing is fetched again, nothing is printed.
    const second = await sh('/bin/sh', command, cwd, env);
    expect(second, 'second night').toEqual({ code: 0, stdout: '', stderr: '' });
    expect((await fs.stat(a)).ino).toBe(before.ino);
  },

  'docs/recipes.md: dlpool --netrc -b cookies.txt --cookie-jar cookies.txt -i private-list.txt -d private':
    async () => {
      const { cwd, home, env } = await sandbox();
      const block = blocks.find((b) => b.text.startsWith('dlpool --netrc'))!;
      await fs.writeFile(path.join(home, '.netrc'), 'machine 127.0.0.1 login reader password s3cret-pw\n', {
        mode: 0o600,
      });
      await fs.writeFile(path.join(cwd, 'cookies.txt'), '127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\tabc123\n');
      await fs.writeFile(
        path.join(cwd, 'private-list.txt'),
        `${own.url}/private/report.pdf\n${own.url}/private/data.csv\n`,
      );
      const run = await runBlock(block.text, cwd, env);
      expect(run.code, run.stderr).toBe(0);
      for (const name of ['report.pdf', 'data.csv'])
        expect(await fs.readFile(path.join(cwd, 'private', name))).toEqual(bodyOf(`/private/${name}`));
      // The jar keeps the cookie it was given and the one the server set; no secret reached the output.
      const jar = await fs.readFile(path.join(cwd, 'cookies.txt'), 'utf8');
      expect(jar).toMatch(/\tsession\tabc123$/m);
      expect(jar).toMatch(/\tseen\tyes$/m);
      expect(run.stdout + run.stderr).not.toMatch(/s3cret-pw|abc123/);
    },

  'docs/recipes.md: seq 0 3 | xargs -P 4 -I{} dlpool get urls.txt -d out --shard {}/4 -q': async () => {
    const { cwd, env } = await sandbox();
    const block = blocks.find((b) => b.text.startsWith('seq 0 3'))!;
    await fs.writeFile(path.join(cwd, 'urls.txt'), sixUrls());
    const run = await runBlock(block.text, cwd, env);
    expect(run.code, run.stderr).toBe(0);
    expect(await checkSums('SHA256SUMS', path.join(cwd, 'out'))).toHaveLength(6);
    expect(await fs.readFile(path.join(cwd, 'failed.txt'), 'utf8')).toBe('');
  },

  'docs/queue.md: dlpool merge out --manifest out/SHA256SUMS --failed failed.txt': async () => {
    const { cwd, env } = await sandbox();
    const block = blocks.find((b) => b.file === 'docs/queue.md' && b.text.startsWith('dlpool merge'))!;
    // The shards the block merges: one list run as two shards of 3 lines.
    await fs.writeFile(path.join(cwd, 'urls.txt'), sixUrls());
    for (const shard of ['0/2', '1/2']) {
      const get = await runCli(
        ['get', 'urls.txt', '-d', 'out', '--shard', shard, '--shard-size', '3', '-q'],
        {
          cwd,
        },
      );
      expect(get.code, get.stderr).toBe(0);
    }
    const run = await runBlock(block.text, cwd, env);
    expect(run.code, run.stderr).toBe(0);
    expect(await checkSums('SHA256SUMS', path.join(cwd, 'out'))).toHaveLength(6);
    expect(await fs.readFile(path.join(cwd, 'failed.txt'), 'utf8')).toBe('');
  },

  'docs/queue.md: dlpool queue add urls.txt --redis redis://10.0.0.5:6379 --shard-size 10000   # one job per shard; twice adds nothing':
    async () => {
      if (!REDIS) return; // said by the skipped case below
      const { cwd, env } = await sandbox();
      const block = blocks.find((b) => b.text.startsWith('dlpool queue add'))!;
      // The shared folder of the example is the test's; the machine at 10.0.0.5 is the test's Redis.
      const shared = path.join(cwd, 'shared');
      await fs.mkdir(path.join(shared, 'lists'), { recursive: true });
      await fs.writeFile(path.join(shared, 'lists/urls.txt'), sixUrls());
      const text = block.text
        .replaceAll('redis://10.0.0.5:6379', redisUrl)
        .replaceAll('/shared/', `${shared}/`);
      // `queue add urls.txt` names the list where the workers find it: run from the lists' folder.
      const run = await runBlock(text, path.join(shared, 'lists'), env);
      expect(run.code, run.stderr).toBe(0);
      expect(await checkSums(path.join(shared, 'lists/SHA256SUMS'), path.join(shared, 'out'))).toHaveLength(
        6,
      );
    },

  'docs/commands.md: # ~/.config/dlpool/config': async () => {
    const { cwd, home, env } = await sandbox();
    const block = blocks.find((b) => b.text.startsWith('# ~/.config/dlpool/config'))!;
    await fs.mkdir(path.join(home, '.config/dlpool'), { recursive: true });
    const config = path.join(home, '.config/dlpool/config');
    await fs.writeFile(config, block.text);
    // Each line is read, and says where it came from.
    const shown = await sh('/bin/sh', 'dlpool get --print-config', cwd, env);
    expect(shown.code, shown.stderr).toBe(0);
    for (const line of block.text.split('\n').slice(1).filter(Boolean)) {
      const n = block.text.split('\n').indexOf(line) + 1;
      expect(shown.stdout, line).toContain(
        `# ${config}:${n}\n${line.includes('=') ? line : `${line} = true`}`,
      );
    }
    // And a run does what the file says: its User-Agent and header sent, a file already there fetched again.
    await fs.writeFile(path.join(cwd, 'a.bin'), 'old');
    const seen = own.requests.length;
    const run = await sh('/bin/sh', `dlpool ${own.url}/a.bin`, cwd, env);
    expect(run.code, run.stderr).toBe(0);
    expect(await fs.readFile(path.join(cwd, 'a.bin'))).toEqual(bodyOf('/a.bin'));
    const sent = own.requests.slice(seen);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.headers['user-agent']).toBe('my-agent/1');
    expect(sent[0]!.headers['x-team']).toBe('downloads');
  },

  'README.md: # bash with bash-completion (new shells load it):': () => completion('README.md'),
  'docs/commands.md: # bash with bash-completion (new shells load it):': () => completion('docs/commands.md'),
};

/** The completion block of `file`, each line run by the shell its comment names; each shell's file checked. */
async function completion(file: string): Promise<void> {
  const { cwd, home, env } = await sandbox();
  const block = blocks.find((b) => b.file === file && b.text.startsWith('# bash with bash-completion'))!;
  // Each command runs in the shell its comment names: zsh's line in zsh, with a folder of the test first on
  // $fpath (zsh takes $fpath from FPATH); the others in bash.
  const zshLine = block.text.split('\n').find((l) => l.includes('${fpath[1]}'))!;
  const fpath = path.join(home, 'zsh-functions');
  await fs.mkdir(fpath);
  const bash = await sh('bash', `set -e\n${block.text.replace(zshLine, '')}`, cwd, env);
  expect(bash.code, bash.stderr).toBe(0);
  const expected = async (shell: string) => (await runCli(['completion', shell])).stdout;
  const bashFile = path.join(home, '.local/share/bash-completion/completions/dlpool');
  expect(await fs.readFile(bashFile, 'utf8')).toBe(await expected('bash'));
  expect(await fs.readFile(path.join(home, '.config/fish/completions/dlpool.fish'), 'utf8')).toBe(
    await expected('fish'),
  );
  // Both bash ways install a completion for dlpool.
  for (const load of [`source ${bashFile}`, 'source ~/.bashrc']) {
    const r = await sh('bash', `${load}\ncomplete -p dlpool`, cwd, env);
    expect(r.stdout, load).toMatch(/^complete .* dlpool$/m);
  }
  const zsh = await sh('sh', 'command -v zsh', cwd, env);
  if (zsh.code === 0) {
    const r = await sh('zsh', zshLine, cwd, { ...env, FPATH: fpath });
    expect(r.code, r.stderr).toBe(0);
    expect(await fs.readFile(path.join(fpath, '_dlpool'), 'utf8')).toBe(await expected('zsh'));
  }
}

describe('the command blocks of the README and docs/', () => {
  it('are found, each with its runner (a new or changed block fails here until it has one)', () => {
    expect(blocks.map((b) => b.name).sort()).toEqual(Object.keys(RUNNERS).sort());
  });

  it.each(blocks.filter((b) => !b.text.includes('dlpool queue')).map((b) => [b.name] as const))(
    '%s',
    async (name) => {
      await RUNNERS[name]!();
    },
  );

  it.skipIf(!REDIS)("docs/queue.md's queue commands, on a real Redis", async () => {
    const block = blocks.find((b) => b.text.startsWith('dlpool queue add'))!;
    await RUNNERS[block.name]!();
  });
});
