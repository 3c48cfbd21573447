import fs from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { download } from '../../src/download.js';
import { synthBytes } from '../../src/server/synth.js';
import { type H2TestServer, startH2FileServer, startH2Server } from '../helpers/h2.js';
import { TEST_CA_FILE } from '../helpers/http.js';
import { engine, MODES, tmpDir } from '../helpers/tmp.js';

// --http2 and the run's connections: KeepAlive's policy over h2 (H2Closer), and proxies (tunnels stay HTTP/1.1).

const servers: H2TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
const h2Files = async (...args: Parameters<typeof startH2FileServer>) => {
  const s = await startH2FileServer(...args);
  servers.push(s);
  return s;
};
const onDisk = (dir: string, name: string) => fs.readFile(path.join(dir, name));
const versions = (s: H2TestServer) => [...new Set(s.requests.map((r) => r.version))];

describe.each(MODES)('a list over many hosts over HTTP/2 (%s mode)', (mode) => {
  it('keeps the open connections near -j, as over HTTP/1.1, not one per recent host', async () => {
    // 80 origins, each come back to only after the 79 others (past the scheduler's look-ahead of 64 jobs).
    const hosts: H2TestServer[] = [];
    let maxOpen = 0;
    const openNow = () => hosts.reduce((n, s) => n + s.open, 0);
    for (let i = 0; i < 80; i++) {
      hosts.push(
        await startH2Server((_req, res) => {
          maxOpen = Math.max(maxOpen, openNow());
          res.end(Buffer.alloc(64));
        }),
      );
    }
    servers.push(...hosts);
    const dir = await tmpDir();
    const lines: string[] = [];
    for (let round = 0; round < 3; round++)
      for (const [i, s] of hosts.entries()) lines.push(`${s.url}/r${round}/h${i}.bin`);
    const list = path.join(dir, 'list.txt');
    await fs.writeFile(list, lines.join('\n') + '\n');
    const j = 2;
    const r = await download({
      ...engine(mode),
      sources: [list],
      dir: path.join(dir, 'out'),
      concurrency: j,
      caCertificate: TEST_CA_FILE,
      http2: true,
      retries: 0,
    });
    expect(r.downloaded).toBe(lines.length);
    expect(new Set(hosts.flatMap((s) => s.requests.map((q) => q.version)))).toEqual(new Set(['2.0']));
    // -j in flight, up to 4 x -j origins kept alive, and a few closed by the client that the server has yet to
    // see closing (as many-hosts.test.ts allows over HTTP/1.1).
    const all = hosts.reduce((n, s) => n + s.connections, 0);
    expect(maxOpen, `${all} connections in all`).toBeLessThanOrEqual(6 * j);
  }, 60_000);
});

describe.each(MODES)('--http2 through a proxy (%s mode)', (mode) => {
  it('tunnels with CONNECT and speaks HTTP/1.1 to the origin; a NO_PROXY host gets h2', async () => {
    const s = await h2Files();
    const direct = await h2Files();
    const tunnels: string[] = [];
    const proxy = http.createServer();
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
    const { port } = proxy.address() as net.AddressInfo;
    try {
      const dir = await tmpDir();
      const summary = await download({
        ...engine(mode),
        entries: [`${s.url}/100/p.bin`, `${direct.url}/9/d.bin`],
        dir,
        caCertificate: TEST_CA_FILE,
        http2: true,
        proxy: { httpsProxy: `http://127.0.0.1:${port}`, noProxy: new URL(direct.url).host },
        retries: 0,
      });
      expect(summary.downloaded).toBe(2);
      expect((await onDisk(dir, 'p.bin')).equals(synthBytes('/100/p.bin', 0, 100))).toBe(true);
      expect((await onDisk(dir, 'd.bin')).equals(synthBytes('/9/d.bin', 0, 9))).toBe(true);
      expect(tunnels).toEqual([new URL(s.url).host]);
      expect(versions(s)).toEqual(['1.1']);
      expect(versions(direct)).toEqual(['2.0']);
    } finally {
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });
});
