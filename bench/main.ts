#!/usr/bin/env node
// The bench harness's one command: `node dist-bench/bench/main.js NAME [ARGS]` (npm run bench* call it; see
// README "Benchmark"). Each NAME is an entry with its knobs read in one function (bench/lib/main.ts runs it).
import { compareEntry } from './compare/index.js';
import { docEntry } from './compare/markdown.js';
import { hashEntry } from './hash.js';
import { runEntry } from './lib/main.js';
import { peersEntry } from './peers.js';
import { queueEntry } from './queue.js';
import { scaleEntry } from './scale.js';
import { splitEntry } from './split.js';

/** Every bench by name; `bench:threads` and `get-hash` are presets of the compare bench. */
const ENTRIES: Record<string, (args: readonly string[]) => Promise<never>> = {
  compare: (a) => runEntry(compareEntry('bench'), a),
  threads: (a) => runEntry(compareEntry('threads'), a),
  'get-hash': (a) => runEntry(compareEntry('get-hash'), a),
  hash: (a) => runEntry(hashEntry, a),
  split: (a) => runEntry(splitEntry, a),
  scale: (a) => runEntry(scaleEntry, a),
  queue: (a) => runEntry(queueEntry, a),
  peers: (a) => runEntry(peersEntry, a),
  doc: (a) => runEntry(docEntry, a),
};

function main(argv: readonly string[]): void {
  const [name, ...args] = argv;
  const run = name === undefined ? undefined : ENTRIES[name];
  if (!run) {
    process.stderr.write(`usage: node dist-bench/bench/main.js ${Object.keys(ENTRIES).join('|')} [ARGS]\n`);
    process.exitCode = 2;
    return;
  }
  void run(args);
}

main(process.argv.slice(2));
