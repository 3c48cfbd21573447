import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type RunningServer } from '../../src/server/index.js';

const BIN = fileURLToPath(new URL('../../bin/dlpool.js', import.meta.url));
const help = (cmd: string[]) =>
  spawnSync(process.execPath, [BIN, ...cmd, '--help'], {
    encoding: 'utf8',
    env: { ...process.env, COLUMNS: '120' },
  }).stdout;

let server: RunningServer;
beforeAll(async () => {
  server = await createServer({});
});
afterAll(async () => {
  await server.close();
});

describe('--help', () => {
  it.each([[['get']], [['serve']], [['verify']], [['hash']], [['bench']]])('%j shows examples', (cmd) => {
    expect(help(cmd)).toMatch(/Examples:\n {2}dlpool /);
  });

  it('hash does not call its files required and empty at once', () => {
    expect(help(['hash'])).not.toMatch(/\[required\]/);
    expect(help(['hash'])).toMatch(/files to hash \(one or more/);
  });

  it('serve lists its routes, and GET / answers with the same index', async () => {
    const text = help(['serve']);
    for (const route of ['/gen/SIZE/NAME', '/list/COUNTxSIZE', '/sums/COUNTxSIZE'])
      expect(text).toContain(route);
    const res = await fetch(server.url);
    expect(res.status).toBe(200);
    const index = await res.text();
    expect(index).toContain('/gen/SIZE/NAME');
    // The examples in the index work.
    expect((await fetch(new URL('/list/2x16K', server.url))).status).toBe(200);
  });

  it('bench says how long --demo takes and how to narrow it', () => {
    expect(help(['bench'])).toMatch(/several\s+minutes[\s\S]*--runs 1/);
  });
});
