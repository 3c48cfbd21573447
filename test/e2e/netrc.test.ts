import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, TEST_CA_FILE, type TestServer } from '../helpers/http.js';
import { MODES, tmpDir } from '../helpers/tmp.js';
import { runCli } from '../helpers/cli.js';

// --netrc / --netrc-file: Basic credentials for the matching host only, kept on a redirect to the same origin,
// never sent to another host:port or from https: to http:, never printed.

const SECRET = 'n3trc-s3cret';
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

let a: TestServer;
let b: TestServer;
let tls: TestServer;

const answer = (req: { url?: string | undefined }, res: import('node:http').ServerResponse) => {
  if (req.url === '/hop.bin') return res.writeHead(302, { location: `${b.url}/far.bin` }).end();
  if (req.url === '/near.bin') return res.writeHead(302, { location: '/a.bin' }).end();
  if (req.url === '/missing.bin') return res.writeHead(404).end();
  return res.end('bytes');
};

beforeAll(async () => {
  a = await startServer(answer);
  b = await startServer(answer);
  // https://127.0.0.1 -> http://127.0.0.1 (the same host, another scheme and port).
  tls = await startServer((_req, res) => res.writeHead(302, { location: `${a.url}/down.bin` }).end(), {
    tls: true,
  });
});
afterAll(async () => {
  await a.close();
  await b.close();
  await tls.close();
});

async function netrcFile(dir: string, text: string, mode = 0o600): Promise<string> {
  const file = path.join(dir, 'netrc');
  await fs.writeFile(file, text, { mode });
  await fs.chmod(file, mode);
  return file;
}

const since = (s: TestServer, n: number) => s.requests.slice(n);

describe.each(MODES)('%s mode', (mode) => {
  const get = (args: string[], env?: Record<string, string>) =>
    runCli([...args, '--mode', mode, '-w', '2', '--retries', '0', '--json'], { env });

  it('--netrc-file: the matching host gets its login, a redirect to another port gets none', async () => {
    const dir = await tmpDir();
    // Tokens over several lines, a macdef skipped, a comment; localhost and 127.0.0.1 are different machines.
    const file = await netrcFile(
      dir,
      `# mine\nmachine localhost login bob password other\n\nmacdef init\ncd /pub\nmachine evil login x password y\n\n` +
        `machine 127.0.0.1\n  login ann\n  password\n  ${SECRET}\ndefault login anon password guest\n`,
    );
    const [na, nb] = [a.requests.length, b.requests.length];
    const local = a.url.replace('127.0.0.1', 'localhost');
    const r = await get([
      `${a.url}/a.bin`,
      `${a.url}/near.bin`,
      `${a.url}/hop.bin`,
      `${local}/l.bin`,
      '-d',
      dir,
      '--netrc-file',
      file,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const seenA = since(a, na);
    const auth = (p: string) => seenA.filter((q) => q.path === p).map((q) => q.headers.authorization);
    expect(auth('/a.bin')).toEqual([basic('ann', SECRET), basic('ann', SECRET)]);
    expect(auth('/near.bin')).toEqual([basic('ann', SECRET)]);
    expect(auth('/hop.bin')).toEqual([basic('ann', SECRET)]);
    expect(auth('/l.bin')).toEqual([basic('bob', 'other')]);
    // The redirect's target: the same machine name (127.0.0.1) on another port, yet another origin: nothing.
    expect(since(b, nb).map((q) => [q.path, q.headers.authorization])).toEqual([['/far.bin', undefined]]);
    expect(`${r.stdout}${r.stderr}`).not.toContain(SECRET);
  });

  it("a URL with user:pass@ keeps its own; a URL naming only its user takes that login's password", async () => {
    const dir = await tmpDir();
    const file = await netrcFile(
      dir,
      `machine 127.0.0.1 login ann password ${SECRET}\nmachine 127.0.0.1 login cy password cypass\n`,
    );
    const n = a.requests.length;
    const own = a.url.replace('://', '://carol:pw@');
    const cy = a.url.replace('://', '://cy@');
    const r = await get([`${own}/own.bin`, `${cy}/cy.bin`, '-d', dir, '--netrc-file', file]);
    expect(r.code, r.stderr).toBe(0);
    const seen = new Map(since(a, n).map((q) => [q.path, q.headers.authorization]));
    expect(seen.get('/own.bin')).toBe(basic('carol', 'pw'));
    expect(seen.get('/cy.bin')).toBe(basic('cy', 'cypass'));
  });

  it('https: to http: on the same host: the credentials stay behind', async () => {
    const dir = await tmpDir();
    const file = await netrcFile(dir, `machine 127.0.0.1 login ann password ${SECRET}\n`);
    const n = a.requests.length;
    const nt = tls.requests.length;
    const r = await get([
      `${tls.url}/up.bin`,
      '-d',
      dir,
      '--netrc-file',
      file,
      '--cacert',
      TEST_CA_FILE,
      '--allow-insecure-redirects',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(since(tls, nt).map((q) => q.headers.authorization)).toEqual([basic('ann', SECRET)]);
    expect(since(a, n).map((q) => [q.path, q.headers.authorization])).toEqual([['/down.bin', undefined]]);
  });

  it('a netrc readable by others: one warning line, still used; a private one: none', async () => {
    const dir = await tmpDir();
    const file = await netrcFile(dir, `machine 127.0.0.1 login ann password ${SECRET}\n`, 0o644);
    const urls = [`${a.url}/w1.bin`, `${a.url}/w2.bin`, `${a.url}/w3.bin`];
    const n = a.requests.length;
    const open = await get([...urls, '-d', dir, '--netrc-file', file]);
    expect(open.code, open.stderr).toBe(0);
    const warnings = open.stderr.split('\n').filter((l) => l.includes('readable by others'));
    expect(warnings).toEqual([
      `dlpool: warning: netrc file '${file}' is readable by others (mode 0644): chmod 600 it to keep its passwords private`,
    ]);
    expect(since(a, n).every((q) => q.headers.authorization === basic('ann', SECRET))).toBe(true);
    await fs.chmod(file, 0o600);
    const closed = await get([...urls, '-d', dir, '--overwrite', '--netrc-file', file]);
    expect(closed.code).toBe(0);
    expect(closed.stderr).not.toContain('readable');
  });

  it('--netrc reads ~/.netrc (none there: no credentials, no complaint); without it ~/.netrc is not read', async () => {
    const home = await tmpDir();
    const dir = await tmpDir();
    const env = { HOME: home };
    const n = a.requests.length;
    const none = await get([`${a.url}/h1.bin`, '-d', dir, '--netrc'], env);
    expect(none.code, none.stderr).toBe(0);
    expect(none.stderr).toBe('');
    await netrcFile(home, `machine 127.0.0.1 login ann password ${SECRET}\n`);
    await fs.rename(path.join(home, 'netrc'), path.join(home, '.netrc'));
    const off = await get([`${a.url}/h2.bin`, '-d', dir], env);
    const on = await get([`${a.url}/h3.bin`, '-d', dir, '-n'], env);
    expect([off.code, on.code]).toEqual([0, 0]);
    expect(since(a, n).map((q) => [q.path, q.headers.authorization])).toEqual([
      ['/h1.bin', undefined],
      ['/h2.bin', undefined],
      ['/h3.bin', basic('ann', SECRET)],
    ]);
  });

  it('--netrc-file that is missing, or a bad line: one line naming the file (and line), exit 2, nothing fetched', async () => {
    const dir = await tmpDir();
    const n = a.requests.length;
    const missing = await get([`${a.url}/m.bin`, '-d', dir, '--netrc-file', path.join(dir, 'nope')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      `dlpool: cannot read netrc file '${path.join(dir, 'nope')}': No such file or directory\n`,
    );
    const file = await netrcFile(dir, `machine 127.0.0.1\n  login ann\n  pasword ${SECRET}\n`);
    const bad = await get([`${a.url}/m.bin`, '-d', dir, '--netrc-file', file]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      `dlpool: ${file}:3: unknown token 'pasword' (expected machine, default, login, password, account or macdef)\n`,
    );
    const cut = await netrcFile(dir, `machine 127.0.0.1 login ann password`);
    const short = await get([`${a.url}/m.bin`, '-d', dir, '--netrc-file', cut]);
    expect(short.code).toBe(2);
    expect(short.stderr).toBe(`dlpool: ${cut}:1: 'password' needs a value\n`);
    expect(since(a, n)).toEqual([]);
  });

  it('--netrc-file /dev/null: no credentials, as curl reads it (an empty netrc), the download runs', async () => {
    const dir = await tmpDir();
    const n = a.requests.length;
    const r = await get([`${a.url}/a.bin`, '-d', dir, '--netrc-file', '/dev/null']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await fs.readFile(path.join(dir, 'a.bin'), 'utf8')).toBe('bytes');
    expect(since(a, n).map((q) => [q.path, q.headers.authorization])).toEqual([['/a.bin', undefined]]);
  });

  it('a failure with netrc credentials prints no secret', async () => {
    const dir = await tmpDir();
    const file = await netrcFile(dir, `machine 127.0.0.1 login ann password ${SECRET}\n`);
    for (const out of [['--json'], ['--progress', 'plain'], ['-v']]) {
      const r = await runCli([
        `${a.url}/missing.bin`,
        '-d',
        dir,
        '--netrc-file',
        file,
        '--mode',
        mode,
        ...out,
      ]);
      expect(r.code).toBe(1);
      expect(`${r.stdout}${r.stderr}`).toContain('ERR_DL_HTTP_STATUS');
      if (out[0] === '-v') expect(r.stderr).toContain('> authorization: Basic [redacted]\n');
      expect(`${r.stdout}${r.stderr}`).not.toContain(SECRET);
      expect(`${r.stdout}${r.stderr}`).not.toContain(Buffer.from(`ann:${SECRET}`).toString('base64'));
    }
  });
});
