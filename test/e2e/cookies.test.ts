import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/http.js';
import { MODES, tmpDir } from '../helpers/tmp.js';
import { BIN, EMPTY_HOME, runCli } from '../helpers/cli.js';

// --cookie / --cookie-jar: cookies reach the matching host and path only (tough-cookie's rules), redirects
// included; Set-Cookie is kept for later requests and written to the jar; both engines share one jar.

let server: TestServer;
/** Resolves /gate.bin's answer: set when /set-done.bin arrives (the jar has /set's cookie by then). */
let openGate: () => void = () => {};
let gate: Promise<void> = Promise.resolve();

beforeAll(async () => {
  server = await startServer((req, res) => {
    const local = `http://localhost:${new URL(server.url).port}`;
    switch (req.url) {
      case '/set':
        return res
          .writeHead(302, {
            location: '/set-done.bin',
            'set-cookie': ['fresh=F1; Path=/', 'scoped=S1; Path=/deep', 'sid=; Max-Age=0; Path=/'],
          })
          .end();
      case '/set-done.bin':
        openGate();
        return done(res);
      case '/gate.bin':
        return void gate.then(() => res.writeHead(302, { location: '/after-gate.bin' }).end());
      case '/stall.bin':
        // Headers (and a cookie), half the body, then nothing: the run is interrupted while waiting.
        res.writeHead(200, { 'content-length': '10', 'set-cookie': 'stalled=ST; Path=/' });
        return void res.write('12345');
      case '/hop-away.bin':
        return res.writeHead(302, { location: `${local}/away.bin` }).end();
      case '/hop-set.bin':
        return res.writeHead(302, { location: '/after.bin', 'set-cookie': 'hopped=H1; Path=/' }).end();
      default:
        return done(res);
    }
  });
});
afterAll(() => server.close());

function done(res: http.ServerResponse) {
  res.writeHead(200, { 'content-length': '2' }).end('ok');
}

/** The cookies each path received since request `n`, as sorted NAME=VALUE lists. */
function cookiesSince(n: number): Record<string, string[][]> {
  const out: Record<string, string[][]> = {};
  for (const q of server.requests.slice(n)) {
    const c = q.headers.cookie;
    (out[q.path] ??= []).push(c === undefined ? [] : c.split('; ').sort());
  }
  return out;
}

const FUTURE = Math.floor(Date.now() / 1000) + 86_400;

async function cookieFile(dir: string): Promise<string> {
  const file = path.join(dir, 'cookies.txt');
  const lines = [
    '# Netscape HTTP Cookie File',
    '127.0.0.1\tFALSE\t/\tFALSE\t0\tsid\tSID1',
    '127.0.0.1\tFALSE\t/deep\tFALSE\t0\tdeep\tD1',
    `#HttpOnly_127.0.0.1\tFALSE\t/\tFALSE\t${FUTURE}\tho\tHO1`,
    '127.0.0.1\tFALSE\t/\tFALSE\t1000000000\told\tEXPIRED',
    'localhost\tFALSE\t/\tFALSE\t0\tother\tO1',
    '',
  ];
  await fs.writeFile(file, lines.join('\n'));
  return file;
}

describe.each(MODES)('%s mode', (mode) => {
  const get = (args: string[]) => runCli([...args, '--mode', mode, '-w', '2', '--retries', '0']);

  it('a cookie file: each cookie goes to its host and path only, not expired ones, redirects included', async () => {
    const dir = await tmpDir();
    const n = server.requests.length;
    const r = await get([
      `${server.url}/shallow.bin`,
      `${server.url}/deep/x.bin`,
      `${server.url}/hop-away.bin`,
      '-d',
      dir,
      '-b',
      await cookieFile(dir),
      '-v',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(cookiesSince(n)).toEqual({
      '/shallow.bin': [['ho=HO1', 'sid=SID1']],
      '/deep/x.bin': [['deep=D1', 'ho=HO1', 'sid=SID1']],
      '/hop-away.bin': [['ho=HO1', 'sid=SID1']],
      // localhost: another domain, its own cookie only.
      '/away.bin': [['other=O1']],
    });
    // -v shows the cookie names, never their values.
    expect(r.stderr).toMatch(/> cookie: (sid|ho)=\[redacted\]/);
    for (const v of ['SID1', 'HO1', 'D1', 'O1']) expect(r.stderr).not.toContain(v);
  });

  it('Set-Cookie is honoured on later requests and on the redirect it came with, and written to the jar', async () => {
    const dir = await tmpDir();
    const jar = path.join(dir, 'jar.txt');
    const n = server.requests.length;
    const r = await get([
      `${server.url}/set`,
      `${server.url}/deep/y.bin`,
      `${server.url}/hop-set.bin`,
      '-d',
      dir,
      '-j',
      '1',
      '-b',
      await cookieFile(dir),
      '--cookie-jar',
      jar,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const seen = cookiesSince(n);
    // sid=; Max-Age=0 removed the file's sid.
    expect(seen['/set-done.bin']).toEqual([['fresh=F1', 'ho=HO1']]);
    expect(seen['/deep/y.bin']).toEqual([['deep=D1', 'fresh=F1', 'ho=HO1', 'scoped=S1']]);
    expect(seen['/after.bin']).toEqual([['fresh=F1', 'ho=HO1', 'hopped=H1']]);
    const text = await fs.readFile(jar, 'utf8');
    const rows = text
      .split('\n')
      .filter((l) => l !== '' && (!l.startsWith('#') || l.startsWith('#HttpOnly_')))
      .sort();
    expect(rows).toEqual(
      [
        '127.0.0.1\tFALSE\t/\tFALSE\t0\tfresh\tF1',
        '127.0.0.1\tFALSE\t/\tFALSE\t0\thopped\tH1',
        '127.0.0.1\tFALSE\t/deep\tFALSE\t0\tdeep\tD1',
        '127.0.0.1\tFALSE\t/deep\tFALSE\t0\tscoped\tS1',
        `#HttpOnly_127.0.0.1\tFALSE\t/\tFALSE\t${FUTURE}\tho\tHO1`,
        'localhost\tFALSE\t/\tFALSE\t0\tother\tO1',
      ].sort(),
    );
    expect(text.startsWith('# Netscape HTTP Cookie File\n')).toBe(true);
    expect((await fs.stat(jar)).mode & 0o777).toBe(0o600);
    // Written whole, then renamed: nothing else left beside it.
    expect((await fs.readdir(dir)).filter((f) => f.includes('jar'))).toEqual(['jar.txt']);
  });

  it('one jar for every download at once: a cookie one download got reaches another running meanwhile', async () => {
    const dir = await tmpDir();
    gate = new Promise((resolve) => (openGate = resolve));
    const n = server.requests.length;
    const r = await get([`${server.url}/set`, `${server.url}/gate.bin`, '-d', dir, '-j', '2', '-b', 'lit=1']);
    expect(r.code, r.stderr).toBe(0);
    expect(cookiesSince(n)['/after-gate.bin']).toEqual([['fresh=F1', 'lit=1']]);
  });

  it('-b jar -c jar: the first run starts with no jar, the next one continues its session', async () => {
    const dir = await tmpDir();
    const jar = path.join(dir, 'session.txt');
    const first = await get([`${server.url}/set`, '-d', dir, '-b', jar, '--cookie-jar', jar]);
    expect(first.code, first.stderr).toBe(0);
    const n = server.requests.length;
    // (wget's names for the same.)
    const next = await get([
      `${server.url}/again.bin`,
      '-d',
      dir,
      '--load-cookies',
      jar,
      '--save-cookies',
      jar,
    ]);
    expect(next.code, next.stderr).toBe(0);
    expect(cookiesSince(n)['/again.bin']).toEqual([['fresh=F1']]);
  });

  it("--cookie-jar - writes the jar to stdout at the end, as curl's -c -; every other line goes to stderr", async () => {
    for (const jar of [['--cookie-jar', '-'], ['--cookie-jar=-']]) {
      const dir = await tmpDir();
      const r = await get([`${server.url}/set`, `${server.url}/plain.bin`, '-d', dir, '-j', '1', ...jar]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^# Netscape HTTP Cookie File\n/);
      expect(r.stdout.split('\n')).toContain('127.0.0.1\tFALSE\t/\tFALSE\t0\tfresh\tF1');
      expect(r.stdout).not.toContain('downloaded');
      expect(r.stderr).toMatch(/2 downloaded/);
      expect(`${r.stdout}${r.stderr}`).not.toContain('\u0000');
      // Nothing named - (or the token - travels as) was written anywhere.
      expect((await fs.readdir(dir)).sort()).toEqual(['plain.bin', 'set']);
    }
    const p = await runCli(['--cookie-jar', '-', '--print-config']);
    expect(p.stdout).toContain('# command line\ncookie-jar = -\n');
  });

  it('--cookie-jar - when stdout carries something else (-o -, --json): one usage line, nothing fetched', async () => {
    const n = server.requests.length;
    const body = await get([`${server.url}/x.bin`, '-o', '-', '--cookie-jar', '-']);
    expect(body.stderr).toBe(
      "dlpool: --cookie-jar: - writes the cookies to stdout, where -o - writes the body: give one of them\nTry 'dlpool --help'.\n",
    );
    expect(body.code).toBe(2);
    const json = await get([`${server.url}/x.bin`, '--json', '--cookie-jar', '-']);
    expect(json.stderr).toBe(
      "dlpool: --json: prints on stdout, where --cookie-jar - writes the cookies: give one of them\nTry 'dlpool --help'.\n",
    );
    expect(json.code).toBe(2);
    expect(server.requests.length).toBe(n);
  });

  it("curl's -b jar -c jar: -c is --checksums here, and the usage error says to use --cookie-jar", async () => {
    const dir = await tmpDir();
    const jar = path.join(dir, 'jar');
    const r = await get([`${server.url}/x.bin`, '-d', dir, '-b', jar, '-c', jar]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`use --cookie-jar ${jar}`);
  });

  it('"NAME=VALUE; ..." goes with every request as it is, as curl -b sends it', async () => {
    const dir = await tmpDir();
    const n = server.requests.length;
    const r = await get([`${server.url}/lit.bin`, `${server.url}/hop-away.bin`, '-d', dir, '-b', 'a=1; b=2']);
    expect(r.code, r.stderr).toBe(0);
    expect(cookiesSince(n)).toEqual({
      '/lit.bin': [['a=1', 'b=2']],
      '/hop-away.bin': [['a=1', 'b=2']],
      '/away.bin': [['a=1', 'b=2']],
    });
  });

  it('a missing cookie file is one line and exit 2; a line that is not a cookie is warned about as FILE:LINE', async () => {
    const dir = await tmpDir();
    const n = server.requests.length;
    const missing = await get([`${server.url}/m.bin`, '-d', dir, '-b', path.join(dir, 'nope.txt')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      `dlpool: cannot read cookie file '${path.join(dir, 'nope.txt')}': No such file or directory\n`,
    );
    expect(server.requests.length).toBe(n);
    const file = path.join(dir, 'bad.txt');
    // A value no request can carry (a control character, a character past U+00FF) or one that would smuggle
    // another cookie in (';') is skipped: sent, it would fail every request of the run.
    await fs.writeFile(
      file,
      '# c\n127.0.0.1\tFALSE\t/\tFALSE\t0\tk\tv\nnot a cookie line\n' +
        '127.0.0.1\tFALSE\t/\tFALSE\t0\tc\tbad\x01\n127.0.0.1\tFALSE\t/\tFALSE\t0\tw\t\u0100\n' +
        '127.0.0.1\tFALSE\t/\tFALSE\t0\ts\ta; admin=1\n127.0.0.1\tFALSE\t/\tFALSE\t0\tl\tcaf\u00e9\n',
    );
    const bad = await get([`${server.url}/m.bin`, '-d', dir, '-b', file]);
    expect(bad.code, bad.stderr).toBe(0);
    expect(bad.stderr).toContain(
      `dlpool: warning: ${file}:3: skipped: expected 7 tab-separated fields, got 1\n`,
    );
    for (const line of [4, 5, 6]) {
      expect(bad.stderr).toContain(
        `dlpool: warning: ${file}:${line}: skipped: a cookie name or value no request can carry\n`,
      );
    }
    expect(cookiesSince(n)['/m.bin']).toEqual([['k=v', 'l=caf\u00e9']]);
  });

  it('a jar that cannot be written fails the run (exit 1, ERR_DL_FILE naming it) after the downloads', async () => {
    const dir = await tmpDir();
    const jar = path.join(dir, 'no-such-folder', 'jar.txt');
    const r = await get([`${server.url}/set`, '-d', dir, '--cookie-jar', jar]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `dlpool: cannot write cookie jar '${jar}': No such file or directory [ERR_DL_FILE]`,
    );
    expect(await fs.readFile(path.join(dir, 'set'), 'utf8')).toBe('ok');
  });

  it('an interrupted run writes its jar too', async () => {
    const dir = await tmpDir();
    const jar = path.join(dir, 'jar.txt');
    const args = [`${server.url}/stall.bin`, '-d', dir, '--cookie-jar', jar, '-v', '--mode', mode, '-w', '2'];
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, CI: 'true', HOME: EMPTY_HOME, XDG_CONFIG_HOME: EMPTY_HOME },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    // The response's headers were taken (and its Set-Cookie kept right after -v showed them).
    await expect
      .poll(() => stderr.includes('< set-cookie: stalled='), { timeout: 15_000, interval: 20 })
      .toBe(true);
    child.kill('SIGINT');
    expect(await closed).toBe(130);
    expect(await fs.readFile(jar, 'utf8')).toContain('127.0.0.1\tFALSE\t/\tFALSE\t0\tstalled\tST\n');
  });
});
