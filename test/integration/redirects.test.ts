import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { download } from '../../src/download.js';
import { startServer, TEST_CA_FILE, type TestServer } from '../helpers/http.js';
import { engine, FAST_RETRY, listFiles, MODES, tmpDir } from '../helpers/tmp.js';

// Issue 6, "credentials never leak": https -> http redirects are refused unless allowed, and credential headers
// never follow a redirect to another origin. Every assertion is made at the servers or on disk.

const servers: TestServer[] = [];
async function serve(
  routes: Record<string, (s: TestServer) => [number, Record<string, string>, string]>,
  tls = false,
): Promise<TestServer> {
  const s: TestServer = await startServer(
    (req, res) => {
      const route = routes[req.url ?? ''];
      if (!route) return res.writeHead(404).end('not here');
      const [status, headers, body] = route(s);
      res.writeHead(status, headers).end(body);
    },
    { tls },
  );
  servers.push(s);
  return s;
}
const redirect =
  (to: (s: TestServer) => string) =>
  (s: TestServer): [number, Record<string, string>, string] => [302, { location: to(s) }, ''];
const body = (text: string) => (): [number, Record<string, string>, string] => [
  200,
  { 'content-type': 'text/plain' },
  text,
];

/** An http server with /f.txt and an https one whose /f.txt redirects there, downloaded with `options`. */
async function httpsToHttp(mode: (typeof MODES)[number], options: Partial<Parameters<typeof download>[0]>) {
  const plain = await serve({ '/f.txt': body('clear text') });
  const secure = await serve({ '/f.txt': redirect(() => `${plain.url}/f.txt`) }, true);
  const dir = await tmpDir();
  const summary = await download({
    ...engine(mode),
    entries: [`${secure.url}/f.txt`],
    dir,
    caCertificate: TEST_CA_FILE,
    ...options,
  });
  return { plain, secure, dir, summary };
}

/** `origin`, whose /same.txt redirects within it and /cross.txt to `other`'s /elsewhere.txt. */
async function sameAndCross(tls = false): Promise<{ origin: TestServer; other: TestServer }> {
  const other = await serve({ '/elsewhere.txt': body('other origin') }, tls);
  const origin = await serve(
    {
      '/same.txt': redirect((s) => `${s.url}/same-final.txt`),
      '/same-final.txt': body('same origin'),
      '/cross.txt': redirect(() => `${other.url}/elsewhere.txt`),
    },
    tls,
  );
  return { origin, other };
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe.each(MODES)('%s mode', (mode) => {
  describe('https -> http redirects', () => {
    it('are refused with ERR_DL_INSECURE_REDIRECT, not retried, and nothing reaches the http server', async () => {
      const { plain, secure, dir, summary } = await httpsToHttp(mode, { retries: 3, retry: FAST_RETRY });
      expect(summary.failed).toBe(1);
      const r = summary.results[0]!;
      expect(r.error?.code).toBe('ERR_DL_INSECURE_REDIRECT');
      expect(r.attempts).toBe(1);
      expect(r.error?.message).toBe(
        `refused redirect from https: to ${plain.url}/f.txt (--allow-insecure-redirects follows it): ` +
          `GET ${secure.url}/f.txt (attempt 1, not retried)`,
      );
      expect(secure.requests).toHaveLength(1);
      expect(plain.requests).toHaveLength(0);
      expect(await listFiles(dir)).toEqual([]);
    });

    it('are followed with allowInsecureRedirects', async () => {
      const { plain, dir, summary } = await httpsToHttp(mode, { allowInsecureRedirects: true, retries: 0 });
      expect(summary.downloaded).toBe(1);
      expect(await fs.readFile(path.join(dir, 'f.txt'), 'utf8')).toBe('clear text');
      expect(plain.requests).toHaveLength(1);
    });
  });

  describe('https', () => {
    it('http -> https and https -> https (same origin) redirects are followed', async () => {
      const secure = await serve(
        {
          '/a.txt': redirect((s) => `${s.url}/b.txt`),
          '/b.txt': body('secure b'),
          '/c.txt': body('secure c'),
        },
        true,
      );
      const plain = await serve({ '/up.txt': redirect(() => `${secure.url}/c.txt`) });
      const dir = await tmpDir();
      const summary = await download({
        ...engine(mode),
        entries: [`${secure.url}/a.txt`, `${plain.url}/up.txt`],
        dir,
        caCertificate: TEST_CA_FILE,
        retries: 0,
      });
      expect(summary.failed).toBe(0);
      expect(await fs.readFile(path.join(dir, 'a.txt'), 'utf8')).toBe('secure b');
      expect(await fs.readFile(path.join(dir, 'up.txt'), 'utf8')).toBe('secure c');
      expect(secure.requests.map((r) => r.path).sort()).toEqual(['/a.txt', '/b.txt', '/c.txt']);
    });

    it('trusts the test certificate only through caCertificate', async () => {
      const secure = await serve({ '/s.txt': body('secure') }, true);
      const dir = await tmpDir();
      const summary = await download({ ...engine(mode), entries: [`${secure.url}/s.txt`], dir });
      expect(summary.failed).toBe(1);
      // Final at once: a retry would meet the same certificate.
      expect(summary.results[0]).toMatchObject({ attempts: 1, error: { code: 'ERR_DL_TLS' } });
      expect(summary.results[0]?.error?.message).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|CERT/);
      expect(secure.requests).toHaveLength(0);
      expect(await listFiles(dir)).toEqual([]);
    });

    it('a missing or unreadable CA file is ERR_DL_INPUT before anything downloads', async () => {
      const s = await serve({ '/x.txt': body('x') });
      const dir = await tmpDir();
      const notPem = path.join(dir, 'not.pem');
      await fs.writeFile(notPem, 'hello\n');
      for (const caCertificate of [path.join(dir, 'missing.pem'), notPem]) {
        await expect(
          download({ ...engine(mode), entries: [`${s.url}/x.txt`], dir, caCertificate }),
        ).rejects.toMatchObject({ code: 'ERR_DL_INPUT' });
      }
      expect(s.requests).toHaveLength(0);
    });
  });

  describe('credential headers', () => {
    const secret = (h: Record<string, unknown> | undefined) => ({
      authorization: h?.['authorization'],
      cookie: h?.['cookie'],
    });

    for (const tls of [false, true]) {
      const scheme = tls ? 'https' : 'http';
      it(`-H Authorization and Cookie are kept on a same-origin redirect, dropped for another origin (${scheme})`, async () => {
        const { origin, other } = await sameAndCross(tls);
        const dir = await tmpDir();
        const summary = await download({
          ...engine(mode),
          entries: [`${origin.url}/same.txt`, `${origin.url}/cross.txt`],
          dir,
          headers: ['Authorization: Bearer t0ken', 'Cookie: session=c00kie', 'X-Other: kept'],
          caCertificate: TEST_CA_FILE,
          retries: 0,
        });
        expect(summary.failed).toBe(0);
        expect(await fs.readFile(path.join(dir, 'cross.txt'), 'utf8')).toBe('other origin');
        const sent = { authorization: 'Bearer t0ken', cookie: 'session=c00kie' };
        expect(origin.requests).toHaveLength(3);
        for (const r of origin.requests) expect(secret(r.headers), r.path).toEqual(sent);
        expect(other.requests).toHaveLength(1);
        expect(secret(other.requests[0]?.headers)).toEqual({ authorization: undefined, cookie: undefined });
        // Only credentials are dropped; other headers still go along.
        expect(other.requests[0]?.headers['x-other']).toBe('kept');
      });
    }

    it('-H Host: names the first origin, so a redirect to another origin sends that origin its own Host', async () => {
      const other = await serve({ '/elsewhere.txt': body('other origin') });
      const origin = await serve({ '/cross.txt': redirect(() => `${other.url}/elsewhere.txt`) });
      const dir = await tmpDir();
      const summary = await download({
        ...engine(mode),
        entries: [`${origin.url}/cross.txt`],
        dir,
        headers: ['Host: files.example'],
        retries: 0,
      });
      expect(summary.failed).toBe(0);
      expect(origin.requests[0]?.headers.host).toBe('files.example');
      expect(other.requests).toHaveLength(1);
      expect(other.requests[0]?.headers.host).toBe(new URL(other.url).host);
    });

    it('basic auth from URL userinfo is kept on a same-origin redirect, dropped for another origin', async () => {
      const { origin, other } = await sameAndCross();
      const withUser = origin.url.replace('http://', 'http://ann:s3cret@');
      const dir = await tmpDir();
      const summary = await download({
        ...engine(mode),
        entries: [`${withUser}/same.txt`, `${withUser}/cross.txt`],
        dir,
        retries: 0,
      });
      expect(summary.failed).toBe(0);
      const basic = `Basic ${Buffer.from('ann:s3cret').toString('base64')}`;
      expect(origin.requests).toHaveLength(3);
      for (const r of origin.requests) expect(r.headers.authorization, r.path).toBe(basic);
      expect(other.requests).toHaveLength(1);
      expect(other.requests[0]?.headers.authorization).toBeUndefined();
      expect(summary.results.map((r) => r.url).sort()).toEqual([
        `${origin.url}/cross.txt`,
        `${origin.url}/same.txt`,
      ]);
    });
  });
});
