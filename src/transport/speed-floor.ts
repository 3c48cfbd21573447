import { DlpoolError } from '../errors.js';

/** A floor under the body's speed: fewer than `minBytesPerSec` per second over `windowMs` ends the attempt. */
export interface SpeedFloor {
  minBytesPerSec: number;
  windowMs: number;
}

/** What the floor needs of a body (a ResponseBody): whether it ended, and a way to fail it. */
export interface WatchedBody {
  readonly destroyed: boolean;
  destroy(err: Error): unknown;
}

/**
 * Every `windowMs`, the bytes that arrived in it must reach the floor, or the body fails with ERR_DL_TIMEOUT
 * (retried, resuming from what arrived): curl's --speed-limit / --speed-time, aria2's lowest-speed-limit.
 */
export interface Watched {
  body: WatchedBody;
  floor: SpeedFloor;
  /** Start of the current window, and the bytes that arrived in it. */
  since: number;
  bytes: number;
}

/**
 * The bodies under a speed floor, checked by one shared timer (a timer per request showed in per-file
 * profiles): every window that has run its full length must have brought `minBytesPerSec` per second, or the
 * body fails with ERR_DL_TIMEOUT (retried, resuming from what arrived): curl's --speed-limit / --speed-time,
 * aria2's lowest-speed-limit.
 */
const watched = new Set<Watched>();
let ticker: NodeJS.Timeout | undefined;
let tickMs = Infinity;

/** Watches `body` until its request completes or fails (the dispatch handler removes it; see dispatchGet). */
export function watchSpeed(body: WatchedBody, floor: SpeedFloor): Watched {
  const w: Watched = { body, floor, since: performance.now(), bytes: 0 };
  watched.add(w);
  // Checked a few times per window, so a window is judged at most a quarter late. The timer stops at a tick
  // that finds nothing to watch (not when the last body ends: small files would start and stop it per file).
  const want = Math.max(10, Math.floor(floor.windowMs / 4));
  if (want < tickMs) {
    if (ticker) clearInterval(ticker);
    tickMs = want;
    ticker = setInterval(checkSpeeds, tickMs);
    ticker.unref();
  }
  return w;
}

function checkSpeeds(): void {
  if (watched.size === 0 && ticker) {
    clearInterval(ticker);
    ticker = undefined;
    tickMs = Infinity;
    return;
  }
  const now = performance.now();
  for (const w of watched) {
    if (w.body.destroyed) {
      watched.delete(w);
      continue;
    }
    const elapsed = now - w.since;
    if (elapsed < w.floor.windowMs) continue;
    if (w.bytes >= (w.floor.minBytesPerSec * elapsed) / 1000) {
      w.since = now;
      w.bytes = 0;
      continue;
    }
    w.body.destroy(
      new DlpoolError(
        'ERR_DL_TIMEOUT',
        `slower than ${w.floor.minBytesPerSec} bytes/s for ${w.floor.windowMs / 1000} s (${w.bytes} bytes; --speed-limit, --speed-time)`,
      ),
    );
  }
}

/** The request of a watched body ended (completed or failed): it is not watched any more. */
export function unwatchSpeed(w: Watched): void {
  watched.delete(w);
}
