import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, TEST_CA_FILE, type TestServer } from '../helpers/http.js';
import { listFiles, MODES, tmpDir } from '../helpers/tmp.js';
import { runCli } from '../helpers/cli.js';

// Issue 6: userinfo in URLs never reaches a log line, an error or the JSON output. One run per output form
// and engine, with every way an entry can end: 404, retried 503, redirects (one too many, one to http: with
// credentials in Location), checksum mismatch, refused connection, bad list lines, a bad argv URL.

const SECRET = 's3cret';
const BASIC = Buffer.from(`ann:${SECRET}`).toString('base64');

const run = (args: string[]) => runCli(args);

let plain: TestServer;
let secure: TestServer;
const cred = (url: string) => url.replace('://', `://ann:${SECRET}@`);

beforeAll(async () => {
  plain = await startServer((req, res) => {
    switch (req.url) {
      case '/ok.bin':
      case '/sum.bin':
        return res.end('the right bytes');
      case '/busy.bin':
        return res.writeHead(503, { 'retry-after': '0' }).end();
      case '/hop.bin':
        return res.writeHead(302, { location: '/ok.bin' }).end();
      case '/loop.bin':
        return res.writeHead(302, { location: cred(`${plain.url}/loop.bin`) }).end();
      default:
        return res.writeHead(404).end();
    }
  });
  secure = await startServer(
    (_req, res) => res.writeHead(302, { location: cred(`${plain.url}/ok.bin`) }).end(),
    { tls: true },
  );
});
afterAll(async () => {
  await plain.close();
  await secure.close();
});

async function listFile(dir: string): Promise<string> {
  const file = path.join(dir, 'list.txt');
  const lines = [
    cred(`${plain.url}/missing.bin`),
    cred(`${plain.url}/busy.bin`),
    cred(`${plain.url}/hop.bin`),
    cred(`${plain.url}/loop.bin`),
    cred(`${secure.url}/down.bin`),
    cred(`${plain.url}/sum.bin`),
    `  checksum=sha-256=${'0'.repeat(64)}`,
    // Port 1 on loopback: nothing listens there.
    cred('http://127.0.0.1:1/refused.bin'),
    `http://ann:${SECRET}@[bad/x.bin`,
    `ftp://ann:${SECRET}@127.0.0.1/x.bin`,
    `http://ann:${SECRET}@@127.0.0.1:1/at.bin`,
    `http://ann:${SECRET}/x@[bad/y.bin`,
  ];
  await fs.writeFile(file, `${lines.join('\n')}\n`);
  return file;
}

const OUTPUTS = [['--json'], ['--progress', 'plain'], ['--progress', 'bars'], ['--progress', 'none']];

describe.each(MODES)('%s mode', (mode) => {
  it.each(OUTPUTS.map((o) => [o.join(' '), o] as const))(
    'credentials in URLs appear nowhere in the output (%s)',
    async (_name, output) => {
      const dir = await tmpDir();
      const list = await listFile(dir);
      const before = plain.requests.length;
      const r = await run([
        list,
        `http://ann:${SECRET}@[argv/z.bin`,
        '-d',
        path.join(dir, 'out'),
        '--mode',
        mode,
        '-w',
        '2',
        '--retries',
        '1',
        '--max-redirects',
        '2',
        '--cacert',
        TEST_CA_FILE,
        ...output,
      ]);
      const all = `${r.stdout}\n${r.stderr}`;
      expect(all).not.toContain(SECRET);
      expect(all).not.toContain(BASIC);
      expect(all).not.toContain('ann:');
      expect(r.code).toBe(1);
      // The credentials were really in play: sent to the server, and every kind of failure happened.
      const seen = plain.requests.slice(before);
      expect(seen.filter((q) => q.path === '/busy.bin')).toHaveLength(2);
      expect(seen.every((q) => q.headers.authorization === `Basic ${BASIC}`)).toBe(true);
      expect(await listFiles(path.join(dir, 'out'))).toEqual(['hop.bin']);
      // (Forced bars on a pipe print only some result lines; the secret check above still covers them.)
      if (output[1] !== 'bars') {
        for (const code of [
          'ERR_DL_HTTP_STATUS',
          'ERR_DL_TOO_MANY_REDIRECTS',
          'ERR_DL_INSECURE_REDIRECT',
          'ERR_DL_CHECKSUM',
          'ERR_DL_NETWORK',
          'ERR_DL_LIST_LINE',
          'ERR_DL_UNSUPPORTED_SCHEME',
        ]) {
          expect(all, code).toContain(code);
        }
      }
      if (output[0] === '--json') {
        const doc = JSON.parse(r.stdout) as { results: { url: string }[] };
        expect(doc.results).toHaveLength(12);
        for (const res of doc.results) expect(res.url).not.toMatch(/ann|@/);
      }
    },
  );

  it('--allow-insecure-redirects and --ca-certificate reach the engine: https -> http is followed', async () => {
    const dir = await tmpDir();
    const args = [`${secure.url}/down.bin`, '-d', dir, '--mode', mode, '--retries', '0'];
    const refused = await run([...args, '--ca-certificate', TEST_CA_FILE]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('[ERR_DL_INSECURE_REDIRECT]');
    const allowed = await run([...args, '--ca-certificate', TEST_CA_FILE, '--allow-insecure-redirects']);
    expect(allowed.code).toBe(0);
    expect(await fs.readFile(path.join(dir, 'down.bin'), 'utf8')).toBe('the right bytes');
    const missing = await run([...args, '--ca-certificate', path.join(dir, 'nope.pem')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /^dlpool: cannot read CA certificate '.*nope\.pem': No such file or directory$/m,
    );
  });
});
