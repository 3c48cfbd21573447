#!/usr/bin/env node
// The cheapest correct Node program for a list download, as a reference line in `npm run bench`: what any
// downloader built on Node and undici pays before it has a single feature. undici's dispatch() with a bare
// handler, -j connections, each body written to NAME.part (small ones with one synchronous writev, large
// ones through a 1 MiB write stream with backpressure) and renamed to NAME. No retries, resume, checksums,
// naming rules, events or progress. Exit 1 when any download fails.
//
//   node dist-bench/bench/node-floor.js LIST DIR [-j 16] [--ca-certificate PEM]
//
// A peer, not part of the harness: its own command line, and its code is kept as it was in
// scripts/node-floor.mjs (only types added), so its figures stay comparable.
import fs from 'node:fs';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { makeFolders } from '../src/common/make-folders.js';

// The same V8 setting as bin/dlpool.js (see there): a floor must not pay what dlpool does not.
setFlagsFromString('--liftoff-only');
const { Agent } = await import('undici');

const args = process.argv.slice(2);
const flag = (name: string, def: string | undefined): string | undefined => {
  const i = args.indexOf(name);
  if (i < 0) return def;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const j = Number(flag('-j', '16'));
const caFile = flag('--ca-certificate', undefined);
const [list, dir] = args;
if (!list || !dir || !Number.isInteger(j) || j < 1) {
  process.stderr.write('usage: node-floor.js LIST DIR [-j N] [--ca-certificate PEM]\n');
  process.exit(2);
}
const urls = fs
  .readFileSync(list, 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter(Boolean);
makeFolders(dir);
const connect = caFile ? { ca: fs.readFileSync(caFile, 'utf8') } : {};
const agent = new Agent({ connections: j, keepAliveTimeout: 4000, connect });
const { O_WRONLY, O_CREAT, O_TRUNC, O_NOFOLLOW } = fs.constants;
const SMALL = 256 * 1024;
let next = 0;
let active = 0;
let failed = 0;

function done(err?: Error): void {
  if (err) {
    failed++;
    process.stderr.write(`${err.message ?? err}\n`);
  }
  active--;
  pump();
}

function one(href: string): void {
  const url = new URL(href);
  const final = path.join(dir!, decodeURIComponent(url.pathname.split('/').pop() || 'index.html'));
  const part = `${final}.part`;
  let chunks: Buffer[] = [];
  let ws: fs.WriteStream | undefined;
  let resume: () => void;
  let bad: Error | undefined;
  agent.dispatch(
    {
      origin: url.origin,
      path: url.pathname + url.search,
      method: 'GET',
      headers: { 'user-agent': 'floor' },
    },
    {
      onConnect() {},
      onHeaders(status, raw, res) {
        if (status !== 200) {
          bad = new Error(`${status}: ${href}`);
          return true;
        }
        resume = res;
        let length: number | undefined;
        for (let i = 0; i < raw.length; i += 2) {
          if (raw[i]!.toString('latin1').toLowerCase() === 'content-length') length = Number(raw[i + 1]);
        }
        if (!(length! <= SMALL)) {
          ws = fs.createWriteStream(part, {
            // Numeric open flags work (fs.open takes them); @types/node declares only the string form.
            flags: (O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW) as unknown as string,
            highWaterMark: 1 << 20,
          });
          ws.on('drain', () => resume());
        }
        return true;
      },
      onData(chunk) {
        if (bad) return true;
        if (ws) return ws.write(chunk);
        chunks.push(chunk);
        return true;
      },
      onComplete() {
        if (bad) return done(bad);
        if (ws) {
          ws.end(() => {
            fs.renameSync(part, final);
            done();
          });
          return;
        }
        const fd = fs.openSync(part, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0o666);
        try {
          fs.writevSync(fd, chunks);
        } finally {
          fs.closeSync(fd);
        }
        chunks = [];
        fs.renameSync(part, final);
        done();
      },
      onError(err) {
        ws?.destroy();
        done(err);
      },
    },
  );
}

function pump(): void {
  while (active < j && next < urls.length) {
    active++;
    one(urls[next++]!);
  }
  if (active === 0 && next >= urls.length) {
    void agent.close();
    process.exitCode = failed > 0 ? 1 : 0;
  }
}
pump();
