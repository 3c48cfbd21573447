import { describe, expect, it } from 'vitest';
import { QuietRounds, RunRelay, workerClock, workerCookies } from '../../../src/engine/run-relay.js';
import type { FetchContext } from '../../../src/policy/context.js';
import { virtualClock } from '../../helpers/clock.js';

describe('QuietRounds', () => {
  it('settles once a whole round of pings went by with no other message between the threads', async () => {
    const pinged: string[] = [];
    let round = 0;
    const q: QuietRounds<string> = new QuietRounds(
      () => ['a', 'b'],
      (w) => {
        pinged.push(w);
        // The first round crosses a job handed out meanwhile; the second is quiet.
        setImmediate(() => {
          if (w === 'a' && round++ === 0) q.traffic++;
          q.answered(w);
        });
      },
    );
    await q.settled();
    expect(pinged).toEqual(['a', 'b', 'a', 'b']);
  });

  it('counts a worker that is gone as answered, and settles at once with none', async () => {
    const q = new QuietRounds<string>(
      () => ['a', 'b'],
      (w) => w === 'a' && setImmediate(() => q.answered('a')),
    );
    const settled = q.settled();
    q.answered('b'); // exited
    await settled;
    await new QuietRounds<string>(
      () => [],
      () => {},
    ).settled();
  });
});

describe('a worker thread on the main thread’s clock', () => {
  it('reads its time from shared memory and sleeps on it, and a sleep given up there is cancelled here', async () => {
    const clock = virtualClock();
    const run = new AbortController();
    const relay = new RunRelay({ clock, signal: run.signal } as unknown as FetchContext);
    let req = 0;
    // As the worker's ask: a request given up rejects there at once, and the main thread is told.
    const worker = workerClock(
      new Float64Array(clock.time.buffer),
      (m, signal) =>
        new Promise((resolve, reject) => {
          const id = ++req;
          signal?.addEventListener(
            'abort',
            () => {
              relay.answer({ type: 'cancel', req: id }, () => {});
              reject(signal.reason);
            },
            { once: true },
          );
          if (m.type !== 'sleep') throw new Error('not a sleep');
          relay.answer({ type: 'sleep', req: id, ms: m.ms }, (_req, work) => {
            void Promise.resolve()
              .then(work)
              .then(resolve, () => {});
          });
        }),
    );
    await worker.sleep(1000, new AbortController().signal);
    expect(worker.now()).toBe(1000);
    const stop = new AbortController();
    const given = worker.sleep(5000, stop.signal);
    stop.abort(new Error('stopped'));
    await expect(given).rejects.toThrow('stopped');
    // The main thread's sleeper went with it: the clock does not jump to 6000 for nobody.
    await worker.sleep(10, new AbortController().signal);
    // (The clock ticks on setImmediate: a sleeper left behind would have moved it by the next turns.)
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
    expect(clock.now()).toBe(1010);
    expect(clock.slept).toEqual([1000, 5000, 10]);
  });
});

describe("a worker thread's cookies", () => {
  it('are the main thread’s jar: a Set-Cookie posted before a question is in the answer', async () => {
    const jar = new Map<string, string>();
    const relay = new RunRelay({
      cookies: {
        header: (url: string) => jar.get(new URL(url).host) ?? '',
        store: (url: string, values: readonly string[]) => jar.set(new URL(url).host, values.join('; ')),
      },
    } as unknown as FetchContext);
    let req = 0;
    // As the worker's port: messages answered in the order they were posted.
    const answers: Promise<string>[] = [];
    const access = workerCookies(
      (m) => {
        let value!: Promise<string>;
        relay.answer({ ...(m as { type: 'cookies'; url: string }), req: ++req }, (_r, work) => {
          value = Promise.resolve(work());
        });
        answers.push(value);
        return value;
      },
      (m) => relay.answer(m, () => {}),
    );
    expect(await access.header('http://h:1/a')).toBe('');
    access.store('http://h:1/a', ['a=1']);
    expect(await access.header('http://h:1/b')).toBe('a=1');
    expect(answers).toHaveLength(2);
  });
});
