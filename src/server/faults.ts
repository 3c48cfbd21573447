import type http from 'node:http';
import { Writable } from 'node:stream';
import { inRangeOr as num } from '../option-values.js';
import { SERVE_DEFAULTS, SERVE_RANGES } from './serve-values.js';

/** Conditions `dlpool serve` can impose, for benchmarks, tests and reproducing a user's trouble. */
export interface FaultOptions {
  /** Hold back every response's headers this many milliseconds. @default 0 */
  latencyMs?: number;
  /** Pace every response body at this many bytes per second (per connection). @default unlimited */
  rateBytesPerSec?: number | undefined;
  /** Share of requests (0..1) answered `503` with `Retry-After: 1`. @default 0 */
  failRate?: number;
  /** Share of bodies (0..1) cut off half-way by closing the connection. @default 0 */
  dropRate?: number;
  /** Seed of the fault dice: the same seed and request order give the same faults. @default 1 */
  seed?: number;
}

export interface Faults {
  latencyMs: number;
  rateBytesPerSec: number | undefined;
  /** Rolls the dice for one request: fail it, cut its body, or neither. */
  roll(): 'fail' | 'drop' | undefined;
}

/** mulberry32: a tiny, well-mixed 32-bit PRNG; plenty for fault dice, and reproducible from a seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function makeFaults(o: FaultOptions): Faults {
  const latencyMs = num('latencyMs', o.latencyMs, SERVE_DEFAULTS.latencyMs, SERVE_RANGES.latencyMs);
  const rate =
    o.rateBytesPerSec === undefined
      ? undefined
      : num('rateBytesPerSec', o.rateBytesPerSec, 0, SERVE_RANGES.rateBytesPerSec);
  const failRate = num('failRate', o.failRate, SERVE_DEFAULTS.failRate, SERVE_RANGES.failRate);
  const dropRate = num('dropRate', o.dropRate, SERVE_DEFAULTS.dropRate, SERVE_RANGES.dropRate);
  const seed = num('seed', o.seed, SERVE_DEFAULTS.seed, SERVE_RANGES.seed);
  const random = mulberry32(seed);
  return {
    latencyMs,
    rateBytesPerSec: rate,
    roll() {
      if (failRate === 0 && dropRate === 0) return undefined;
      // Two draws per request, always, so one knob's value does not shift the other's dice.
      const f = random();
      const d = random();
      if (f < failRate) return 'fail';
      return d < dropRate ? 'drop' : undefined;
    },
  };
}

export function sendBusy(res: http.ServerResponse): void {
  res
    .writeHead(503, { 'retry-after': '1', 'content-type': 'text/plain', 'content-length': '5' })
    .end('busy\n');
}

/**
 * Where a body is written: `res` itself, or a stream that paces it at `rate` bytes/s and/or cuts it after
 * `cutAt` bytes by destroying the connection once those bytes are out, as a dropped link would. Pacing follows
 * a schedule measured from the first byte, so timer slack does not add up.
 */
export function bodyTarget(
  res: http.ServerResponse,
  rate: number | undefined,
  cutAt: number | undefined,
): Writable {
  if (rate === undefined && cutAt === undefined) return res;
  const slice = rate === undefined ? Infinity : Math.max(1024, Math.min(64 * 1024, Math.floor(rate / 20)));
  let sent = 0;
  let started = 0;
  let timer: NodeJS.Timeout | undefined;
  const feed = (chunk: Buffer, cb: (err?: Error) => void): void => {
    timer = undefined;
    if (res.destroyed) return cb(new Error('connection closed'));
    started ||= performance.now();
    while (chunk.length > 0) {
      if (rate !== undefined) {
        const wait = started + (sent / rate) * 1000 - performance.now();
        if (wait > 1) {
          const rest = chunk;
          timer = setTimeout(() => feed(rest, cb), wait);
          return;
        }
      }
      const n = Math.min(chunk.length, slice, cutAt === undefined ? Infinity : cutAt - sent);
      const part = chunk.subarray(0, n);
      chunk = chunk.subarray(n);
      sent += n;
      if (cutAt !== undefined && sent >= cutAt) {
        // The bytes before the cut reach the client, then the connection drops.
        res.write(part, () => res.destroy());
        return cb(new Error('cut'));
      }
      if (!res.write(part)) {
        const rest = chunk;
        res.once('drain', () => feed(rest, cb));
        return;
      }
    }
    cb();
  };
  const target = new Writable({
    highWaterMark: 64 * 1024,
    write(chunk: Buffer, _enc, cb) {
      feed(chunk, cb);
    },
    final(cb) {
      if (cutAt !== undefined && sent >= cutAt) return cb();
      res.end(() => cb());
    },
    destroy(err, cb) {
      clearTimeout(timer);
      cb(err);
    },
  });
  // A cut or a client that went away ends the stream with an error nobody needs to hear about.
  target.on('error', () => {});
  res.once('close', () => target.destroy());
  return target;
}
