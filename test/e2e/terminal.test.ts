import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/http.js';
import { screen } from '../helpers/screen.js';
import { tmpDir } from '../helpers/tmp.js';

const BIN = fileURLToPath(new URL('../../bin/dlpool.js', import.meta.url));
const hasScript = spawnSync('script', ['--version']).status === 0;

/**
 * Runs dlpool in a real pseudo-terminal (util-linux `script`), `columns` wide (160 unless said), and returns what
 * it wrote to it.
 */
function inTerminal(args: string[], whileRunning?: (pid: number) => void, columns = 160): Promise<string> {
  const quoted = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`);
  // The pseudo-terminal's own size is what dlpool reads (COLUMNS is only a hint for other programs).
  const command = `stty cols ${columns} rows 24; ${quoted.join(' ')}`;
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qefc', command, '/dev/null'], {
      env: { ...process.env, CI: '', NO_COLOR: '1', TERM: 'xterm', COLUMNS: String(columns) },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', reject);
    child.on('close', () => resolve(out));
    if (whileRunning) whileRunning(child.pid!);
  });
}

/**
 * Each bar as drawn (the text between cursor moves and line breaks, trailing blanks off): cli-progress moves the
 * cursor up between bars when one goes, so a file's bar and the overall bar may come in one stretch.
 */
function drawnBars(raw: string): string[] {
  return raw
    .split(/[\r\n]|\x1b\[\d*[ABGKJ]|\x1b\[\?\d+[hl]/)
    .map((l) => l.trimEnd())
    .filter((l) => l.includes('█') || l.includes('░'));
}

let server: TestServer;
const held: (() => void)[] = [];
beforeAll(async () => {
  server = await startServer((req, res) => {
    if (req.url?.startsWith('/missing')) {
      res.writeHead(404);
      res.end();
    } else if (req.url?.startsWith('/slow')) {
      res.writeHead(200, { 'content-length': '10' });
      res.write('12345');
      held.push(() => res.destroy());
    } else if (req.url?.startsWith('/big')) {
      // 320 KiB (above the small-body size: written, and reported, as it comes) over ~0.8 s.
      res.writeHead(200, { 'content-length': String(320 * 1024) });
      let sent = 0;
      const t = setInterval(() => {
        res.write(Buffer.alloc(32 * 1024, 'z'));
        if ((sent += 32 * 1024) >= 320 * 1024) {
          clearInterval(t);
          res.end();
        }
      }, 80);
      res.on('close', () => clearInterval(t));
    } else if (req.url?.startsWith('/drip')) {
      // 1000 bytes over ~0.5 s: long enough for the bars to be drawn several times.
      res.writeHead(200, { 'content-length': '1000' });
      let sent = 0;
      const t = setInterval(() => {
        res.write('y'.repeat(100));
        if ((sent += 100) >= 1000) {
          clearInterval(t);
          res.end();
        }
      }, 50);
    } else res.end('x'.repeat(1000));
  });
});
afterAll(async () => {
  for (const h of held.splice(0)) h();
  await server.close();
});

/** The pid of the dlpool process with `marker` among its arguments (Linux /proc). */
function pidWith(marker: string): number | undefined {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // dlpool itself, not `script` or the shell around it (their command lines hold the same words).
      const argv = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv[1] === BIN && argv.includes(marker)) return Number(entry);
    } catch {
      // Gone while we looked.
    }
  }
  return undefined;
}

describe.skipIf(!hasScript)('on a terminal (a real pseudo-terminal)', () => {
  it('the overall bar counts the whole list; once its size is known, it shows the bytes to come and an ETA, none made up', async () => {
    const dir = await tmpDir();
    const urls = [1, 2, 3, 4, 5, 6].map((i) => `${server.url}/drip${i}`);
    const raw = await inTerminal([...urls, '-d', dir, '-j', '2', '--progress', 'bars']);
    const overall = drawnBars(raw).filter((l) => l.includes('files '));
    expect(overall.length).toBeGreaterThan(0);
    for (const l of overall) expect(l).not.toMatch(/NF|INF|NULL|NaN/);
    // Six URLs on the command line: the total is 6 (not the 2 started so far), and final once the list is read.
    expect(overall.some((l) => /files [0-5]\/6 /.test(l))).toBe(true);
    // 1000 bytes a file once one size is known: the list's ~5.86 KiB, and an ETA in seconds.
    expect(
      overall.some((l) => /files [0-5]\/6 .*\/ ~?5\.86 KiB.* ETA \d+s/.test(l)),
      overall.join('\n'),
    ).toBe(true);
    expect(screen(raw).at(-1)).toMatch(/^dlpool: 6 downloaded/);
  });

  it('60 columns: every bar fits, long names are shortened, the bytes and the ETA stay', async () => {
    const dir = await tmpDir();
    const urls = [1, 2, 3, 4].map(
      (i) => `${server.url}/big/a-rather-long-file-name-for-a-narrow-terminal-${i}.iso`,
    );
    const raw = await inTerminal([...urls, '-d', dir, '-j', '3', '--progress', 'bars'], undefined, 60);
    const bars = drawnBars(raw);
    const files = bars.filter((l) => l.includes('…'));
    expect(files.length, bars.join('\n')).toBeGreaterThan(0);
    for (const l of bars) expect(l.length, l).toBeLessThan(60);
    expect(
      files.some((l) => /…[\w-]*-\d\.iso +[\d.]+ (B|KiB) \/ 320\.0 KiB ETA \d+s$/.test(l)),
      files.join('\n'),
    ).toBe(true);
    expect(
      bars.some((l) => /files [0-3]\/4 .*\/ ~?1\.25 MiB/.test(l)),
      bars.join('\n'),
    ).toBe(true);
    expect(screen(raw).at(-1)).toMatch(/^dlpool: 4 downloaded/);
    // The result lines above the bars (each longer than 60) wrap, whole, and nothing of the bars they were written
    // over is left at their ends.
    const rows = screen(raw, 60);
    const logical = rows
      .join('\n')
      .split(/\n(?=downloaded|dlpool:)/)
      .filter((l) => l.startsWith('downloaded'))
      .map((l) => l.replace(/\n/g, ''));
    expect(logical, rows.join('\n')).toHaveLength(4);
    for (const l of logical)
      expect(l, rows.join('\n')).toMatch(
        /^downloaded {2}a-rather-long-file-name-for-a-narrow-terminal-(\d)\.iso {2}\(320\.0 KiB, [\d.]+ s\) {2}<- http:\/\/127\.0\.0\.1:\d+\/big\/a-rather-long-file-name-for-a-narrow-terminal-\1\.iso$/,
      );
  });

  it('Ctrl-C: both interrupted downloads are shown as failed, above the totals', async () => {
    const dir = await tmpDir();
    const before = server.requests.length;
    const raw = await inTerminal([`${server.url}/slow1`, `${server.url}/slow2`, '-d', dir], () => {
      const poll = setInterval(() => {
        const slow = server.requests.slice(before).filter((r) => r.path.startsWith('/slow')).length;
        const pid = pidWith(dir);
        if (slow < 2 || pid === undefined) return;
        clearInterval(poll);
        // Once both bodies have started and the bars have drawn them.
        setTimeout(() => process.kill(pid, 'SIGINT'), 300);
      }, 50);
    });
    const shown = screen(raw);
    expect(shown.filter((l) => l.startsWith('FAILED'))).toHaveLength(2);
    expect(shown.at(-1)).toMatch(
      /^dlpool: 0 downloaded, 0 skipped \(already present\), 2 failed.*interrupted/,
    );
  });

  it.each(['auto', 'bars', 'plain'])(
    '--progress %s: every result line stays on screen, above the totals',
    async (progress) => {
      const dir = await tmpDir();
      const urls = ['a', 'b', 'c', 'd'].map((n) => `${server.url}/${n}.bin`);
      const raw = await inTerminal([
        ...urls,
        `${server.url}/missing.bin`,
        '-d',
        dir,
        '--retries',
        '0',
        '--progress',
        progress,
      ]);
      const shown = screen(raw);
      const results = shown.filter((l) => /^(downloaded|FAILED)/.test(l));
      expect(results.map((l) => l.split(/\s+/)[0]).sort()).toEqual([
        'FAILED',
        'downloaded',
        'downloaded',
        'downloaded',
        'downloaded',
      ]);
      expect(shown.find((l) => l.startsWith('FAILED'))).toMatch(/404/);
      expect(shown.at(-1)).toMatch(/^dlpool: 4 downloaded, 0 skipped \(already present\), 1 failed/);
    },
  );
});
