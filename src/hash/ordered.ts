import pLimit from 'p-limit';

/**
 * Runs `task` over `items` (a stream: read only as far as needed) with `concurrency` at a time and hands
 * results to `onResult` in input order (as `sha256sum` prints), each as soon as it and all before it are done.
 * Memory stays flat whatever the number of items: at most `window` of them are started and not yet handed
 * on, so a slow item at the head holds back new starts only once `window` more are done behind it.
 * `task` must not reject (turn failures into results).
 */
export async function mapOrdered<T, R>(
  items: AsyncIterable<T> | Iterable<T>,
  concurrency: number,
  task: (item: T, index: number) => Promise<R>,
  onResult: (result: R, index: number) => void,
  window = Math.max(64, concurrency * 8),
): Promise<void> {
  const limit = pLimit(concurrency);
  const started: Promise<R>[] = [];
  let index = 0;
  let handed = 0;
  for await (const item of items) {
    const i = index++;
    started.push(limit(() => task(item, i)));
    if (started.length >= window) onResult(await started.shift()!, handed++);
  }
  while (started.length > 0) onResult(await started.shift()!, handed++);
}
