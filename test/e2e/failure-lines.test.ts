import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type RunningServer } from '../../src/server/index.js';
import { synthBytes } from '../../src/server/synth.js';
import { MODES, tmpDir } from '../helpers/tmp.js';
import { runCli } from '../helpers/cli.js';

let server: RunningServer;
beforeAll(async () => {
  server = await createServer({});
});
afterAll(async () => {
  await server.close();
});

const ZEROS = '0'.repeat(64);

describe.each(MODES)('failure lines (--mode %s)', (mode) => {
  it('name where the URL came from (list:line) and where it was going (the path under -d as typed)', async () => {
    const cwd = await tmpDir();
    const u = server.url;
    await fs.writeFile(
      path.join(cwd, 'list.txt'),
      [
        `${u}gen/10/ok.bin`,
        'http://[bad',
        `${u}nope/x`,
        `${u}gen/10/exists.bin`,
        `${u}gen/10/sum.bin`,
        '',
      ].join('\n'),
    );
    await fs.writeFile(path.join(cwd, 'SUMS'), `${ZEROS}  sum.bin\n`);
    await fs.mkdir(path.join(cwd, 'out', 'exists.bin'), { recursive: true });
    const r = await runCli(
      ['get', 'list.txt', `${u}nope/y`, '-d', 'out', '-c', 'SUMS', '--retries', '3', '--mode', mode],
      { cwd },
    );
    expect(r.code).toBe(1);
    const actual = createHash('sha256')
      .update(synthBytes('/gen/10/sum.bin', 0, 10))
      .digest('hex');
    const abs = await fs.realpath(cwd);
    expect(
      r.stderr
        .split('\n')
        .filter((l) => l.startsWith('FAILED'))
        .sort(),
    ).toEqual(
      [
        `FAILED      list.txt:2: not a valid URL: http://[bad [ERR_DL_LIST_LINE]`,
        `FAILED      list.txt:3 -> out/x: 404 Not Found: GET ${u}nope/x (attempt 1, not retried) [ERR_DL_HTTP_STATUS]`,
        `FAILED      list.txt:4 -> out/exists.bin: cannot write '${abs}/out/exists.bin': Is a directory (GET ${u}gen/10/exists.bin) [ERR_DL_FILE]`,
        // The wrong checksum gets one fresh download, whatever --retries says: the second attempt is the last.
        `FAILED      list.txt:5 -> out/sum.bin: sha256 mismatch: expected ${ZEROS}, got ${actual}: GET ${u}gen/10/sum.bin (attempt 2/2) [ERR_DL_CHECKSUM]`,
        `FAILED      out/y: 404 Not Found: GET ${u}nope/y (attempt 1, not retried) [ERR_DL_HTTP_STATUS]`,
      ].sort(),
    );
  });
});
