/**
 * A gate that opens at most once per `intervalMs` (the first call always passes): progress events go out this
 * often, not once per chunk of a few KiB. `now` is injected by tests.
 */
export function throttle(intervalMs: number, now: () => number = () => performance.now()): () => boolean {
  let last = -Infinity;
  return () => {
    const t = now();
    if (t - last < intervalMs) return false;
    last = t;
    return true;
  };
}
