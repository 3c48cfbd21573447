import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type RunningServer } from '../../src/server/index.js';
import { BIN, type CliRun, EMPTY_HOME, runCli } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The address the examples are written with; each run swaps in the test server's. */
const SHOWN = 'http://127.0.0.1:18719/';
const MARK = '<!-- example: test/e2e/readme-examples.test.ts runs this block and compares its output -->';

interface Step {
  command: string;
  shown: string[];
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
        if (line.startsWith('$ ')) steps.push({ command: line.slice(2), shown: [] });
        else if (line !== '') steps.at(-1)!.shown.push(line);
      }
      return { name: `${file}: ${steps.find((s) => !s.command.endsWith('&'))!.command}`, steps };
    });
}

/** What changes from run to run: times, speeds, the output folder, a result's milliseconds; lines in any order. */
function normal(lines: string[], url: string): string[] {
  return lines
    .map((l) =>
      l
        .replaceAll(url, SHOWN)
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

let server: RunningServer;
beforeAll(async () => {
  server = await createServer({});
});
afterAll(async () => {
  await server.close();
});

const blocks = [...(await examples('README.md')), ...(await examples('docs/commands.md'))];

describe('the examples of the README and docs/commands.md', () => {
  it('are found (a marked block that is no longer parsed fails here)', () => {
    expect(blocks.length).toBe(6);
  });

  it.each(blocks.map((b) => [b.name, b] as const))('%s prints what is shown', async (_, block) => {
    const cwd = await tmpDir();
    // samples/aria2.txt, with the test server's address.
    await fs.mkdir(path.join(cwd, 'samples'));
    const list = await fs.readFile(path.join(ROOT, 'samples/aria2.txt'), 'utf8');
    await fs.writeFile(path.join(cwd, 'samples/aria2.txt'), list.replaceAll(SHOWN, server.url));
    let last: CliRun | undefined;
    for (const step of block.steps) {
      if (/^dlpool serve .*&$/.test(step.command)) continue; // the test's own server stands in
      let printed: string[];
      if (step.command === 'echo $?') printed = [String(last!.code)];
      else {
        const [command, pipe] = step.command.split(' | ') as [string, string | undefined];
        const args = command.replaceAll(SHOWN, server.url).split(' ');
        expect(args.shift()).toBe('dlpool');
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
          last = await runCli(args, { cwd });
        }
        printed = outputLines(last);
      }
      expect(normal(printed, server.url), step.command).toEqual(normal(step.shown, server.url));
    }
  });
});
