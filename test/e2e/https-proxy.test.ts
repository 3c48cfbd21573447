import fs from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, TEST_CA_FILE, type TestServer } from '../helpers/http.js';
import { runCli } from '../helpers/cli.js';
import { MODES, tmpDir } from '../helpers/tmp.js';

// https: through HTTPS_PROXY, as users run it (the bundled CLI and thread worker): a CONNECT tunnel, TLS to the
// origin inside it, with and without --http2 (which stays HTTP/1.1 through a proxy), and with -k instead of the CA.

let origin: TestServer;
let proxy: http.Server;
const tunnels: string[] = [];

beforeAll(async () => {
  origin = await startServer((req, res) => res.end(`${req.url} over ${req.httpVersion}`), { tls: true });
  proxy = http.createServer((_req, res) => res.writeHead(405).end());
  proxy.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    tunnels.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    const up = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      up.write(head);
      up.pipe(client).pipe(up);
    });
    up.on('error', () => client.destroy());
    client.on('error', () => up.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  proxy.closeAllConnections();
  await new Promise<void>((resolve) => proxy.close(() => resolve()));
  await origin.close();
});

describe.each(MODES)('%s mode', (mode) => {
  const CA = ['--ca-certificate', TEST_CA_FILE];
  for (const extra of [CA, [...CA, '--http2'], ['-k']]) {
    it(`downloads https: through HTTPS_PROXY with ${extra.join(' ').replace(TEST_CA_FILE, 'CA')}`, async () => {
      const dir = await tmpDir();
      const before = tunnels.length;
      const { port } = proxy.address() as net.AddressInfo;
      const r = await runCli(
        [`${origin.url}/${mode}.txt`, '-d', dir, '--mode', mode, '--retries', '0', ...extra],
        { env: { HTTPS_PROXY: `http://127.0.0.1:${port}`, NO_PROXY: undefined, no_proxy: undefined } },
      );
      expect(r.code, r.stderr).toBe(0);
      expect(await fs.readFile(path.join(dir, `${mode}.txt`), 'utf8')).toBe(`/${mode}.txt over 1.1`);
      expect(tunnels.slice(before)).toEqual([new URL(origin.url).host]);
    });
  }
});
