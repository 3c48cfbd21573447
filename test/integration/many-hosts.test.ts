import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { download } from '../../src/download.js';
import { KeepAlive } from '../../src/transport/keep-alive.js';
import { undiciTransport } from '../../src/index.js';
import { engine, MODES, tmpDir } from '../helpers/tmp.js';

/**
 * A list spread over many hosts must not keep an idle keep-alive socket open per host it touched recently
 * (issue: a 1M-URL run over 10,000 hosts). 120 origins here: one node:http server on 120 loopback ports, which
 * counts the connections open at once, seen from the server.
 */
const ORIGINS = 120;
let servers: http.Server[] = [];
let open = 0;
let maxOpen = 0;
let connections = 0;

beforeAll(async () => {
  const handler: http.RequestListener = (req, res) => {
    res.writeHead(200, { 'content-length': '64' }).end(Buffer.alloc(64, req.url ?? ''));
  };
  servers = await Promise.all(
    Array.from({ length: ORIGINS }, async () => {
      const s = http.createServer(handler);
      s.keepAliveTimeout = 30_000;
      s.on('connection', (sock: Socket) => {
        open++;
        connections++;
        maxOpen = Math.max(maxOpen, open);
        sock.on('close', () => open--);
      });
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
      return s;
    }),
  );
});
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

const portOf = (s: http.Server) => (s.address() as AddressInfo).port;

/** Downloads `lines` as a list file at -j `j`, the connection counts reset first. */
async function downloadList(mode: (typeof MODES)[number], lines: string[], j: number) {
  const dir = await tmpDir();
  const list = path.join(dir, 'list.txt');
  await fs.writeFile(list, lines.join('\n') + '\n');
  maxOpen = 0;
  connections = 0;
  // Names repeat across rounds (h0.bin ...): suffixes, as usual.
  return download({ ...engine(mode), sources: [list], dir: path.join(dir, 'out'), concurrency: j });
}

describe.each(MODES)('%s mode', (mode) => {
  it('a list over many hosts keeps the open connections near -j, not one per recent host', async () => {
    const ports = servers.map(portOf);
    // Three rounds over every origin: each host comes back only after all the others.
    const lines: string[] = [];
    for (let round = 0; round < 3; round++)
      for (const [i, p] of ports.entries()) lines.push(`http://127.0.0.1:${p}/r${round}/h${i}.bin`);
    const j = 4;
    const r = await downloadList(mode, lines, j);
    expect(r.downloaded).toBe(lines.length);
    // Was 120 (every origin's socket idle and open). Now -j in flight, up to 4 x -j origins kept alive, and a
    // few the client closed that the server has yet to see closing (more of those on a loaded machine).
    expect(maxOpen, `${connections} connections in all`).toBeLessThanOrEqual(6 * j);
  });

  it('a list over a few hosts keeps reusing their connections (none closed after each file)', async () => {
    const ports = servers.slice(0, 3).map(portOf);
    const lines = Array.from({ length: 240 }, (_, i) => `http://127.0.0.1:${ports[i % 3]}/f${i}.bin`);
    const j = 6;
    const r = await downloadList(mode, lines, j);
    expect(r.downloaded).toBe(lines.length);
    // At most -j per host (threads: per worker), not one per file.
    expect(connections).toBeLessThanOrEqual(3 * j * (mode === 'threads' ? 3 : 1));
  });
});

describe('a dispatcher shared by runs (a queue worker runs one per shard)', () => {
  it('keeps its connections from one run to the next, and stays open after them', async () => {
    const dir = await tmpDir();
    const port = portOf(servers[0]!);
    const list = path.join(dir, 'list.txt');
    await fs.writeFile(
      list,
      Array.from({ length: 8 }, (_, i) => `http://127.0.0.1:${port}/s${i}.bin`).join('\n'),
    );
    const dispatcher = new Agent({ connections: 2 });
    const transport = undiciTransport(dispatcher);
    try {
      connections = 0;
      const first = await download({ sources: [list], dir: path.join(dir, 'a'), concurrency: 2, transport });
      const opened = connections;
      const second = await download({
        sources: [list],
        dir: path.join(dir, 'b'),
        concurrency: 2,
        transport,
      });
      expect([first.downloaded, second.downloaded]).toEqual([8, 8]);
      expect(opened).toBeGreaterThanOrEqual(1);
      expect(connections).toBe(opened);
      expect(dispatcher.destroyed).toBe(false);
    } finally {
      await dispatcher.close();
    }
  });
});

describe('KeepAlive', () => {
  it('past maxConnections open connections (what the open-file limit leaves), every one is closed after use', async () => {
    const agent = new Agent({ keepAliveTimeout: 30_000 });
    try {
      const few = new KeepAlive(undiciTransport(agent), 100, 2);
      const enough = new KeepAlive(undiciTransport(agent), 100, 3);
      const ports = servers.slice(0, 2).map(portOf);
      for (const p of ports) {
        const res = await agent.request({ origin: `http://127.0.0.1:${p}`, path: '/k', method: 'GET' });
        await res.body.dump();
      }
      expect([few.origins, few.connections]).toEqual([2, 2]);
      // Even a host the list comes back to (hostAgain) gets its connection closed once the cap is reached.
      expect(few.closeAfter(true)).toBe(true);
      expect(few.closeAfter(false)).toBe(true);
      expect(enough.closeAfter(true)).toBe(false);
    } finally {
      await agent.close();
    }
  });
});
