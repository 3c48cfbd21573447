import fs from 'node:fs/promises';
import path from 'node:path';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { download } from '../../src/download.js';
import { startServer, TEST_CA_FILE, type TestServer } from '../helpers/http.js';
import { collect, engine, listFiles, MODES, tmpDir } from '../helpers/tmp.js';

// -k / insecure: the self-signed test server, which fails without caCertificate, downloads; the run says so once.

const servers: TestServer[] = [];
async function serve(routes: Record<string, (s: TestServer) => [number, string]>, tlsOn = true) {
  const s: TestServer = await startServer(
    (req, res) => {
      const route = routes[req.url ?? ''];
      if (!route) return res.writeHead(404).end('not here');
      const [status, text] = route(s);
      if (status >= 300 && status < 400) res.writeHead(status, { location: text }).end();
      else res.writeHead(status, { 'content-type': 'text/plain' }).end(text);
    },
    { tls: tlsOn },
  );
  servers.push(s);
  return s;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const warnings = (events: ReturnType<typeof collect>['events']) =>
  events.flatMap((e) => (e.type === 'warning' ? [e.message] : []));

describe.each(MODES)('%s mode', (mode) => {
  it('downloads from a self-signed server with insecure, and warns once for the run', async () => {
    const s = await serve({
      '/a.txt': () => [200, 'aaa'],
      '/b.txt': () => [200, 'bbb'],
      '/c.txt': () => [200, 'c'],
    });
    const urls = ['/a.txt', '/b.txt', '/c.txt'].map((p) => `${s.url}${p}`);
    const without = await download({ ...engine(mode), entries: urls, dir: await tmpDir(), retries: 0 });
    expect(without.results.map((r) => r.error?.code)).toEqual(['ERR_DL_TLS', 'ERR_DL_TLS', 'ERR_DL_TLS']);
    const dir = await tmpDir();
    const { events, onEvent } = collect();
    const summary = await download({
      ...engine(mode),
      entries: urls,
      dir,
      insecure: true,
      retries: 0,
      onEvent,
    });
    expect(summary.downloaded).toBe(3);
    expect(await fs.readFile(path.join(dir, 'b.txt'), 'utf8')).toBe('bbb');
    expect(warnings(events)).toEqual([
      '--insecure: TLS certificates are not checked: anyone on the network path can read and change the downloads',
    ]);
  });

  it('wins over caCertificate (as curl -k does), whose file is still read', async () => {
    const s = await serve({ '/a.txt': () => [200, 'aaa'] });
    const dir = await tmpDir();
    // A CA that did not sign the test certificate.
    const otherCa = path.join(dir, '..', `${path.basename(dir)}-other-ca.pem`);
    await fs.writeFile(otherCa, tls.rootCertificates[0]!);
    const refused = await download({
      ...engine(mode),
      entries: [`${s.url}/a.txt`],
      dir,
      caCertificate: otherCa,
      retries: 0,
    });
    expect(refused.results[0]?.error?.code).toBe('ERR_DL_TLS');
    const { events, onEvent } = collect();
    const ok = await download({
      ...engine(mode),
      entries: [`${s.url}/a.txt`],
      dir,
      caCertificate: otherCa,
      insecure: true,
      retries: 0,
      onEvent,
    });
    expect(ok.downloaded).toBe(1);
    expect(warnings(events)).toEqual([
      '--insecure: TLS certificates are not checked: anyone on the network path can read and change the downloads' +
        ' (--ca-certificate is not used)',
    ]);
    await expect(
      download({
        ...engine(mode),
        entries: [`${s.url}/a.txt`],
        dir,
        caCertificate: `${otherCa}.missing`,
        insecure: true,
      }),
    ).rejects.toMatchObject({ code: 'ERR_DL_INPUT' });
  });

  it('applies to every host a redirect leads to, and an https -> http redirect is still refused', async () => {
    const plain = await serve({ '/clear.txt': () => [200, 'clear'] }, false);
    const second = await serve({ '/final.txt': () => [200, 'final'] });
    const first = await serve({
      '/hop.txt': () => [302, `${second.url}/final.txt`],
      '/down.txt': () => [302, `${plain.url}/clear.txt`],
    });
    const dir = await tmpDir();
    const summary = await download({
      ...engine(mode),
      entries: [`${first.url}/hop.txt`, `${first.url}/down.txt`],
      dir,
      insecure: true,
      retries: 0,
    });
    const codes = Object.fromEntries(summary.results.map((r) => [r.url, r.error?.code]));
    expect(codes).toEqual({
      [`${first.url}/hop.txt`]: undefined,
      [`${first.url}/down.txt`]: 'ERR_DL_INSECURE_REDIRECT',
    });
    expect(await fs.readFile(path.join(dir, 'hop.txt'), 'utf8')).toBe('final');
    expect(plain.requests).toHaveLength(0);
    expect(await listFiles(dir)).toEqual(['hop.txt']);
  });

  it('says nothing and changes nothing when off: the test CA is still needed', async () => {
    const s = await serve({ '/a.txt': () => [200, 'aaa'] });
    const { events, onEvent } = collect();
    const summary = await download({
      ...engine(mode),
      entries: [`${s.url}/a.txt`],
      dir: await tmpDir(),
      caCertificate: TEST_CA_FILE,
      insecure: false,
      onEvent,
    });
    expect(summary.downloaded).toBe(1);
    expect(warnings(events)).toEqual([]);
  });
});
