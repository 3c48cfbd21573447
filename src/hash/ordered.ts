import pLimit from 'p-limit';

/**
 * Runs `task` over `items` with `concurrency` at a time and hands results to `onResult` in input order
 * (as `sha256sum` prints), each as soon as it and all before it are done.
 */
export async function mapOrdered<T, R>(
  items: readonly T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<R>,
  onResult: (result: R, index: number) => void,
): Promise<R[]> {
  const limit = pLimit(concurrency);
  const results: R[] = new Array(items.length);
  const done: boolean[] = new Array(items.length).fill(false);
  let next = 0;
  await Promise.all(
    items.map((item, i) =>
      limit(async () => {
        results[i] = await task(item, i);
        done[i] = true;
        while (next < items.length && done[next]) {
          onResult(results[next]!, next);
          next++;
        }
      }),
    ),
  );
  return results;
}
