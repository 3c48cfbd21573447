import type crypto from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import type { FromTapWorker, ToTapWorker } from './stream-tap.js';
import { createDigest } from './algorithms.js';

/**
 * A digest thread for `--hash-pool threads` (see stream-tap.ts): the bytes of downloads arrive in 1 MiB
 * buffers (transferred, not copied), are hashed here, and each buffer goes back to be filled again.
 */
const port = parentPort!;
const hashes = new Map<number, crypto.Hash>();

port.on('message', (m: ToTapWorker) => {
  switch (m.t) {
    case 'open':
      try {
        hashes.set(m.id, createDigest(m.algorithm));
      } catch {
        // An algorithm this Node lacks: 'end' answers with an error.
      }
      break;
    case 'data': {
      hashes.get(m.id)?.update(new Uint8Array(m.buf, 0, m.len));
      const back: FromTapWorker = { t: 'buf', id: m.id, buf: m.buf, len: m.len };
      port.postMessage(back, [m.buf]);
      break;
    }
    case 'end': {
      const hash = hashes.get(m.id);
      hashes.delete(m.id);
      const reply: FromTapWorker = hash
        ? { t: 'hex', id: m.id, hex: hash.digest('hex') }
        : { t: 'hex', id: m.id, error: 'unknown digest' };
      port.postMessage(reply);
      break;
    }
    case 'drop':
      hashes.delete(m.id);
      break;
  }
});
