import fs from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { download } from '../../src/download.js';
import type { DownloadEvent } from '../../src/events.js';
import { startServer, type TestServer } from '../helpers/http.js';
import { engine, MODES, tmpDir } from '../helpers/tmp.js';

const NAMES = Array.from({ length: 22 }, (_, i) => String(i + 1).padStart(2, '0'));
/** No file: a failed entry in the middle has no manifest line and must not hold the others back. */
const MISSING = '07';

let server: TestServer;
/** The response of /01, held until the test lets it go. */
let heldFirst: (() => void) | undefined;
let held: Promise<void>;
beforeAll(async () => {
  server = await startServer((req, res: http.ServerResponse) => {
    const name = (req.url ?? '').slice(1);
    if (name === MISSING) return void res.writeHead(404).end();
    const answer = () => void res.writeHead(200, { 'content-length': String(name.length) }).end(name);
    if (name !== '01') return answer();
    held = new Promise<void>((resolve) => (heldFirst = resolve)).then(() => void answer());
  });
});
afterAll(() => server.close());

describe('--manifest', () => {
  for (const mode of MODES) {
    it(`is in list order whatever order the files finish in (${mode})`, async () => {
      const dir = await tmpDir();
      const manifests: string[] = [];
      for (const run of ['first', 'second']) {
        const manifest = path.join(dir, `SUMS-${run}`);
        let results = 0;
        const finished: string[] = [];
        // The first entry finishes last: it is answered once every other entry has its result.
        const onEvent = (e: DownloadEvent) => {
          if (e.type !== 'result') return;
          finished.push(e.result.path ?? '');
          if (++results === NAMES.length - 1) heldFirst?.();
        };
        const summary = await download({
          ...engine(mode),
          entries: NAMES.map((n) => `${server.url}/${n}`),
          dir: path.join(dir, `out-${run}`),
          manifest,
          concurrency: NAMES.length,
          retry: { retries: 0 },
          onEvent,
        });
        await held;
        expect(summary.failed).toBe(1);
        expect(finished.at(-1)).toBe('01');
        manifests.push(await fs.readFile(manifest, 'utf8'));
      }
      const names = manifests[0]!
        .trimEnd()
        .split('\n')
        .map((l) => l.slice(66));
      expect(names).toEqual(NAMES.filter((n) => n !== MISSING));
      expect(manifests[1]).toBe(manifests[0]);
    });
  }
});
