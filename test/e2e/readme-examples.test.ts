import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type RunningServer } from '../../src/server/index.js';
import { synthBytes } from '../../src/server/synth.js';
import { BIN, type CliRun, EMPTY_HOME, runCli } from '../helpers/cli.js';
import { startServer, type TestServer } from '../helpers/http.js';
import { listFiles, tmpDir } from '../helpers/tmp.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The address the examples are written with; each run swaps in the test server's. */
const SHOWN = 'http://127.0.0.1:18719/';
/** The address of the resume example's server, for which a server that stops sending stands in. */
const SHOWN_STALL = 'http://127.0.0.1:18720/';
/** The files the examples read from the checkout by their path (`dlpool bench --from FILE`). */
const CHECKOUT_FILES = /^bench-results\//;
const MARK = '<!-- example: test/e2e/readme-examples.test.ts runs this block and compares its output -->';

interface Step {
  command: string;
  shown: string[];
  /** A `^C` line follows the command: Ctrl-C is pressed while it runs. */
  interrupted: boolean;
}

/** The blocks marked with MARK in a Markdown file: each a list of `$ command` lines with the output shown. */
async function examples(file: string): Promise<{ name: string; steps: Step[] }[]> {
  const text = await fs.readFile(path.join(ROOT, file), 'utf8');
  return text
    .split(MARK)
    .slice(1)
    .map((part) => {
      const block = /^\n```console\n([\s\S]*?)```/.exec(part)![1]!;
      const steps: Step[] = [];
      const lines = block.replace(/\\\n\s*/g, '').split('\n');
      for (const line of lines) {
        if (line.startsWith('$ ')) steps.push({ command: line.slice(2), shown: [], interrupted: false });
        else if (line === '^C') steps.at(-1)!.interrupted = true;
        else if (line !== '') steps.at(-1)!.shown.push(line);
      }
      return { name: `${file}: ${steps.find((s) => !s.command.endsWith('&'))!.command}`, steps };
    });
}

/** What changes from run to run: times, speeds, the output folder, a result's milliseconds; lines in any order. */
function normal(lines: string[], url: string, stallUrl = SHOWN_STALL): string[] {
  return lines
    .map((l) =>
      l
        .replaceAll(url, SHOWN)
        .replaceAll(stallUrl, SHOWN_STALL)
        .replace(/\(\d+(\.\d+)? (B|KiB|MiB|GiB)\/s\)/g, '(RATE)')
        .replace(/\b\d+(\.\d+)? s\b/g, 'T s')
        .replace(/-> \/\S+/g, '-> DIR')
        .replace(/"(ms|elapsedMs)":\d+/g, '"$1":N')
        .replace(/"dir":"[^"]*"/g, '"dir":"DIR"')
        .replace(/^,/, '')
        .trimEnd(),
    )
    .sort();
}

const outputLines = (run: CliRun) => (run.stdout + run.stderr).split('\n').filter((l) => l !== '');

/**
 * `printed` shows what `shown` shows: the same lines (normalised, in any order), or where `shown` leaves lines out
 * with `...`, its lines in its order among the printed ones, nothing left out before the first `...`.
 */
function expectShown(printed: string[], shown: string[], url: string, stallUrl: string, what: string): void {
  if (!shown.includes('...')) {
    expect(normal(printed, url, stallUrl), what).toEqual(normal(shown, url, stallUrl));
    return;
  }
  const one = (l: string) => normal([l], url, stallUrl)[0]!;
  const got = printed.map(one);
  let at = 0;
  let gap = false;
  for (const line of shown) {
    if (line === '...') {
      gap = true;
      continue;
    }
    const i = got.indexOf(one(line), at);
    expect(i, `${what}: ${line}`).toBeGreaterThanOrEqual(at);
    if (!gap) expect(i, `${what}: ${line} (no ... before it)`).toBe(at);
    at = i + 1;
    gap = false;
  }
  expect(gap || at === got.length, `${what}: printed more than shown after its last line`).toBe(true);
}

/** Bytes the stall server sends of a file's first answer before it stops sending. */
const STALL_AFTER = 8 * 1024 * 1024;

/**
 * A server for the resume example: it serves /gen/SIZE/NAME as `dlpool serve` does (with a strong ETag and
 * ranges), but a whole-file answer stops after STALL_AFTER bytes and hangs, so Ctrl-C lands at a known byte.
 */
function stallServer(): Promise<TestServer> {
  return startServer((req, res) => {
    const p = new URL(req.url ?? '/', 'http://x').pathname;
    const size = /^\/gen\/16M\//.test(p) ? 16 * 1024 * 1024 : -1;
    if (size < 0) return void res.writeHead(404).end();
    const validators = { etag: '"disk-1"', 'last-modified': 'Mon, 07 Dec 2026 00:00:00 GMT' };
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range && req.headers['if-range'] === validators.etag) {
      const start = Number(range[1]);
      res.writeHead(206, {
        ...validators,
        'accept-ranges': 'bytes',
        'content-length': String(size - start),
        'content-range': `bytes ${start}-${size - 1}/${size}`,
      });
      res.end(synthBytes(p, start, size));
      return;
    }
    res.writeHead(200, { ...validators, 'accept-ranges': 'bytes', 'content-length': String(size) });
    res.write(synthBytes(p, 0, STALL_AFTER));
  });
}

/** Runs `dlpool ARGS` as runCli does, and sends SIGINT once a `.part` under `cwd` holds STALL_AFTER bytes. */
function runInterrupted(args: string[], cwd: string): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { ...process.env, CI: 'true', NO_COLOR: '1', HOME: EMPTY_HOME, XDG_CONFIG_HOME: EMPTY_HOME },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    const deadline = Date.now() + 30_000;
    // (A file may come and go between the listing and its stat: that look is skipped.)
    const sizes = async () => {
      const parts = (await listFiles(cwd)).filter((f) => f.endsWith('.part'));
      return Promise.all(parts.map(async (f) => (await fs.stat(path.join(cwd, f))).size));
    };
    const poll = (): void => {
      void sizes()
        .catch((): number[] => [])
        .then((found) => {
          if (found.includes(STALL_AFTER)) child.kill('SIGINT');
          else if (Date.now() > deadline) child.kill('SIGKILL');
          else setTimeout(poll, 20);
        });
    };
    poll();
  });
}

let server: RunningServer;
let stall: TestServer;
beforeAll(async () => {
  server = await createServer({});
  stall = await stallServer();
});
afterAll(async () => {
  await server.close();
  await stall.close();
});

const DOCS = (await fs.readdir(path.join(ROOT, 'docs'))).filter((f) => f.endsWith('.md')).sort();
const blocks = (await Promise.all(['README.md', ...DOCS.map((f) => `docs/${f}`)].map(examples))).flat();

describe('the examples of the README and docs/', () => {
  it('are found (a marked block that is no longer parsed fails here)', () => {
    expect(blocks.length).toBe(8);
  });

  it.each(blocks.map((b) => [b.name, b] as const))('%s prints what is shown', async (_, block) => {
    const cwd = await tmpDir();
    // samples/aria2.txt, with the test server's address.
    await fs.mkdir(path.join(cwd, 'samples'));
    const list = await fs.readFile(path.join(ROOT, 'samples/aria2.txt'), 'utf8');
    await fs.writeFile(path.join(cwd, 'samples/aria2.txt'), list.replaceAll(SHOWN, server.url));
    const stallUrl = `${stall.url}/`;
    let last: CliRun | undefined;
    for (const step of block.steps) {
      if (/^dlpool serve .*&$/.test(step.command)) continue; // the test's own server stands in
      let printed: string[];
      if (step.command === 'echo $?') printed = [String(last!.code)];
      else {
        const [command, pipe] = step.command.split(' | ') as [string, string | undefined];
        const args = command.replaceAll(SHOWN, server.url).replaceAll(SHOWN_STALL, stallUrl).split(' ');
        expect(args.shift()).toBe('dlpool');
        for (const a of args.filter((x) => CHECKOUT_FILES.test(x))) {
          await fs.mkdir(path.join(cwd, path.dirname(a)), { recursive: true });
          await fs.copyFile(path.join(ROOT, a), path.join(cwd, a));
        }
        if (pipe === 'sha256sum') {
          // The body is bytes: piped through the real sha256sum, as the reader runs it.
          const { stdout, stderr } = await promisify(execFile)(
            '/bin/sh',
            ['-c', `"$0" "$1" ${args.join(' ')} | sha256sum`, process.execPath, BIN],
            {
              cwd,
              env: {
                ...process.env,
                CI: 'true',
                NO_COLOR: '1',
                HOME: EMPTY_HOME,
                XDG_CONFIG_HOME: EMPTY_HOME,
              },
            },
          );
          last = { code: 0, signal: null, stdout, stderr };
        } else {
          expect(pipe, step.command).toBeUndefined();
          last = step.interrupted ? await runInterrupted(args, cwd) : await runCli(args, { cwd });
          if (step.interrupted) expect(last.code, step.command).toBe(130);
        }
        printed = outputLines(last);
      }
      expectShown(printed, step.shown, server.url, stallUrl, step.command);
    }
  });
});

describe('bench-results/bench-demo.txt', () => {
  it('is what dlpool bench --from renders of bench-results/bench-demo.json', async () => {
    const run = await runCli(['bench', '--from', path.join(ROOT, 'bench-results/bench-demo.json')]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(await fs.readFile(path.join(ROOT, 'bench-results/bench-demo.txt'), 'utf8'));
  });
});
