import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type RunningServer } from '../../../src/server/index.js';
import { tmpDir } from '../../helpers/tmp.js';

interface Got {
  status: number;
  body: string;
}

/**
 * GET with the path on the wire exactly as written (URL parsing would resolve `..` and `%2e`). Bounded: a server
 * that never answers fails the test with 'no answer' instead of holding it.
 */
function rawGet(base: string, rawPath: string, method = 'GET'): Promise<Got> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: hostname, port, path: rawPath, method, agent: false, signal: AbortSignal.timeout(15_000) },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('error', (err) => reject(new Error(`${method} ${rawPath}: no answer (${err.message})`)));
    req.end();
  });
}

/** Opens the FIFO's writing end without blocking, which lets a reader stuck opening it go on; none is fine. */
function releaseFifo(p: string): void {
  try {
    fs.closeSync(fs.openSync(p, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
  } catch {
    // ENXIO: nobody is waiting on it.
  }
}

/** A device node of our own (a copy of /dev/null), where the kernel lets us make one. */
function makeDevice(p: string): boolean {
  try {
    execFileSync('mknod', [p, 'c', '1', '3'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * A root holding what must not be served next to what must: the test's own secret outside it and links to it,
 * links that stay inside, a dotfile, a dot-directory, a link into the dot-directory, a FIFO, a socket, a device.
 */
async function hostileRoot() {
  const base = await tmpDir('dlpool-serve-root-');
  const www = path.join(base, 'www');
  await fsp.mkdir(path.join(www, 'sub'), { recursive: true });
  await fsp.mkdir(path.join(www, '.git'));
  await fsp.mkdir(path.join(base, 'outside'));
  await fsp.writeFile(path.join(base, 'secret'), 'outside the root\n');
  await fsp.writeFile(path.join(base, 'outside', 'also-secret'), 'outside the root too\n');
  await fsp.writeFile(path.join(www, 'hello.txt'), 'hello\n');
  await fsp.writeFile(path.join(www, '.env'), 'TOKEN=dotfile\n');
  await fsp.writeFile(path.join(www, '.git', 'config'), '[core] dot-directory\n');
  await fsp.symlink('../secret', path.join(www, 'out'));
  await fsp.symlink(path.join(base, 'secret'), path.join(www, 'out-absolute'));
  await fsp.symlink('../outside', path.join(www, 'outdir'));
  await fsp.symlink('hello.txt', path.join(www, 'in'));
  await fsp.symlink('../hello.txt', path.join(www, 'sub', 'up'));
  await fsp.symlink('..', path.join(www, 'sub', 'parent'));
  await fsp.symlink('.git/config', path.join(www, 'peek'));
  await fsp.symlink('hello.txt', path.join(www, '.alias'));
  execFileSync('mkfifo', [path.join(www, 'fifo')]);
  const sock = net.createServer();
  await new Promise<void>((resolve) => sock.listen(path.join(www, 'sock'), resolve));
  const device = makeDevice(path.join(www, 'null'));
  return { base, www, sock, device };
}

const REFUSED_OUTSIDE = ['/out', '/out-absolute', '/outdir/also-secret', '/sub/parent/out'];
const HIDDEN = ['/.env', '/.git/config', '/sub/../.env', '/%2eenv', '/.git/', '/peek', '/.alias'];
const SPECIAL = ['/fifo', '/sock'];

describe('createServer --root: what is refused', () => {
  let server: RunningServer;
  let root: Awaited<ReturnType<typeof hostileRoot>>;
  beforeAll(async () => {
    root = await hostileRoot();
    server = await createServer({ root: root.www });
  });
  afterAll(async () => {
    releaseFifo(path.join(root.www, 'fifo'));
    await server.close();
    root.sock.close();
    await fsp.rm(root.base, { recursive: true, force: true });
  });

  it('follows links that stay inside the root', async () => {
    for (const p of ['/in', '/sub/up', '/sub/parent/hello.txt']) {
      const r = await rawGet(server.url, p);
      expect(r.status, p).toBe(200);
      expect(r.body, p).toBe('hello\n');
    }
  });

  it('refuses links that leave the root (404), to a file or through a folder', async () => {
    for (const p of REFUSED_OUTSIDE) {
      const r = await rawGet(server.url, p);
      expect(r.status, p).toBe(404);
      expect(r.body, p).not.toMatch(/outside the root/);
    }
  });

  it('refuses dotfiles, dot-directories and links into them (404)', async () => {
    for (const p of HIDDEN) {
      const r = await rawGet(server.url, p);
      expect(r.status, p).toBe(404);
      expect(r.body, p).not.toMatch(/TOKEN|dot-directory/);
    }
  });

  it('answers a FIFO, a socket and a device with 404 at once, GET and HEAD', async () => {
    const paths = root.device ? [...SPECIAL, '/null'] : SPECIAL;
    for (const p of paths) {
      expect((await rawGet(server.url, p)).status, p).toBe(404);
      expect((await rawGet(server.url, p, 'HEAD')).status, `HEAD ${p}`).toBe(404);
    }
    // Still serving after them (a blocked open would hold a thread of the pool).
    expect((await rawGet(server.url, '/hello.txt')).status).toBe(200);
  });

  it('leaves no descriptor open, whatever the answer (GET, HEAD, refused after the open, client gone mid-body)', async () => {
    const count = () => fs.readdirSync('/proc/self/fd').length;
    const before = count();
    const big = path.join(root.www, 'big.bin');
    await fsp.writeFile(big, Buffer.alloc(4 * 1024 * 1024, 1));
    for (let i = 0; i < 20; i++) {
      await rawGet(server.url, '/hello.txt');
      await rawGet(server.url, '/hello.txt', 'HEAD');
      await rawGet(server.url, '/in');
      await rawGet(server.url, '/peek');
      await rawGet(server.url, '/out');
      await rawGet(server.url, '/fifo');
    }
    // A client that goes away after the headers of a big body.
    await new Promise<void>((resolve) => {
      const { hostname, port } = new URL(server.url);
      http.get({ host: hostname, port, path: '/big.bin', agent: false }, (res) => {
        res.destroy();
        resolve();
      });
    });
    // fs.close is asynchronous: wait (bounded) for the count to come back.
    const deadline = performance.now() + 5_000;
    while (count() > before && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(count()).toBeLessThanOrEqual(before);
    await fsp.rm(big);
  });

  it('answers a file asked for as a folder (a trailing slash) with 404, as nginx does', async () => {
    for (const p of ['/hello.txt/', '/in/', '/hello.txt%2f']) {
      expect((await rawGet(server.url, p)).status, p).toBe(404);
    }
  });

  it('refuses traversal in every spelling, encoded slashes and NUL included', async () => {
    for (const p of [
      '/../secret',
      '/%2e%2e/secret',
      '/.%2e/secret',
      '/%2e./secret',
      '/sub/..%2f..%2fsecret',
      '/sub%2f..%2f..%2fsecret',
      '/..%5csecret',
      '/%2e%2e%5csecret',
      '/hello.txt%00.png',
      '/%00',
      '/%',
      '//../secret',
      '/./../secret',
    ]) {
      const r = await rawGet(server.url, p);
      expect(r.status, p).toBe(404);
      expect(r.body, p).not.toMatch(/outside the root/);
    }
  });
});

describe('createServer --root: a file that changes while it is sent', () => {
  for (const rate of [undefined, 64 * 1024 * 1024]) {
    it(`closes the connection at once when the file shrinks mid-body${rate ? ' (paced)' : ''}`, async () => {
      const dir = await tmpDir('dlpool-serve-root-');
      const file = path.join(dir, 'shrinks.bin');
      await fsp.writeFile(file, Buffer.alloc(8 * 1024 * 1024, 1));
      const server = await createServer({ root: dir, ...(rate ? { rateBytesPerSec: rate } : {}) });
      try {
        const r = await request(`${server.url}shrinks.bin`);
        await fsp.truncate(file, 1024 * 1024);
        const t0 = performance.now();
        let received = 0;
        const ended = await (async () => {
          for await (const chunk of r.body) received += (chunk as Buffer).length;
          return 'complete';
        })().catch(() => 'cut');
        expect(ended).toBe('cut');
        expect(received).toBeLessThan(8 * 1024 * 1024);
        // Without the close, the client waits for the server's 5 s keep-alive timeout.
        expect(performance.now() - t0).toBeLessThan(2_500);
      } finally {
        await server.close();
        await fsp.rm(dir, { recursive: true, force: true });
      }
    });
  }
});

describe('createServer --root with --drop-rate', () => {
  it('a cut body still delivers every byte before the cut (half the file), then drops', async () => {
    const dir = await tmpDir('dlpool-serve-root-');
    await fsp.writeFile(path.join(dir, 'cut.bin'), Buffer.alloc(1024 * 1024 + 1, 2));
    const server = await createServer({ root: dir, dropRate: 1 });
    try {
      const r = await request(`${server.url}cut.bin`);
      let received = 0;
      const ended = await (async () => {
        for await (const chunk of r.body) received += (chunk as Buffer).length;
        return 'complete';
      })().catch(() => 'cut');
      expect(ended).toBe('cut');
      expect(received).toBe(512 * 1024);
    } finally {
      await server.close();
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });
});

describe('createServer --root with dotfiles: true', () => {
  let server: RunningServer;
  let root: Awaited<ReturnType<typeof hostileRoot>>;
  beforeAll(async () => {
    root = await hostileRoot();
    server = await createServer({ root: root.www, dotfiles: true });
  });
  afterAll(async () => {
    releaseFifo(path.join(root.www, 'fifo'));
    await server.close();
    root.sock.close();
    await fsp.rm(root.base, { recursive: true, force: true });
  });

  it('serves hidden files, and still refuses links out and special files', async () => {
    expect((await rawGet(server.url, '/.env')).body).toBe('TOKEN=dotfile\n');
    expect((await rawGet(server.url, '/.git/config')).body).toBe('[core] dot-directory\n');
    expect((await rawGet(server.url, '/peek')).body).toBe('[core] dot-directory\n');
    for (const p of [...REFUSED_OUTSIDE, ...SPECIAL, '/../secret']) {
      expect((await rawGet(server.url, p)).status, p).toBe(404);
    }
  });
});

describe('createServer --root given through a link', () => {
  it('serves the files of the folder the link names', async () => {
    const base = await tmpDir('dlpool-serve-root-');
    await fsp.mkdir(path.join(base, 'real'));
    await fsp.writeFile(path.join(base, 'real', 'a.txt'), 'a\n');
    await fsp.symlink('real', path.join(base, 'linked'));
    const server = await createServer({ root: path.join(base, 'linked') });
    try {
      expect((await rawGet(server.url, '/a.txt')).body).toBe('a\n');
    } finally {
      await server.close();
      await fsp.rm(base, { recursive: true, force: true });
    }
  });
});

describe('createServer dotfiles option', () => {
  it('is refused without a root, by name', async () => {
    await expect(createServer({ dotfiles: true })).rejects.toThrow(/^dotfiles: /);
  });
});
