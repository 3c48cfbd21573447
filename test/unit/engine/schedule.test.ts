import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { schedule, Slots } from '../../../src/engine/schedule.js';
import type { FileResult } from '../../../src/events.js';
import type { Job, JobOrResult } from '../../../src/jobs/job.js';

async function* jobs(hosts: string[]): AsyncGenerator<JobOrResult> {
  for (const [i, host] of hosts.entries()) {
    yield { job: { id: i + 1, host } as Job };
  }
}

// Downloads here are timers of a few ms on a fake clock: the interleavings are the same every run, and the
// 3000 of them take no real time.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('schedule', () => {
  it('holds -j and --per-host while host limiters come and go', async () => {
    // Hosts recur after gaps, so a host's limiter is dropped when idle and made again later.
    const hosts = Array.from({ length: 3000 }, (_, i) => `h${Math.floor(i / 10) % 9}:80`);
    const perHost = new Map<string, number>();
    let inFlight = 0;
    let maxInFlight = 0;
    let maxPerHost = 0;
    const results: FileResult[] = [];
    const run = schedule(
      jobs(hosts),
      new Slots({ concurrency: 8, perHost: 2 }),
      new AbortController().signal,
      async (job) => {
        inFlight++;
        const n = (perHost.get(job.host) ?? 0) + 1;
        perHost.set(job.host, n);
        maxInFlight = Math.max(maxInFlight, inFlight);
        maxPerHost = Math.max(maxPerHost, n);
        await new Promise((r) => setTimeout(r, job.id % 3));
        inFlight--;
        perHost.set(job.host, perHost.get(job.host)! - 1);
        return { id: job.id } as FileResult;
      },
      (r) => results.push(r),
    );
    await vi.runAllTimersAsync();
    await run;
    expect(results).toHaveLength(3000);
    expect(maxInFlight).toBe(8);
    expect(maxPerHost).toBe(2);
  });

  it('lends only free slots, within --per-host, and takes them back', async () => {
    const slots = new Slots({ concurrency: 6, perHost: 4 });
    const host = slots.host('a:80');
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    // One download of host a running: 5 global and 3 per-host slots are free.
    const running = host(() => slots.global(() => held));
    await Promise.resolve();
    expect(slots.borrow('a:80', 8)).toBe(3);
    expect(slots.borrow('a:80', 8)).toBe(0);
    // Another host finds the 2 global slots left, and no more: -j binds across hosts.
    expect(slots.borrow('b:80', 8)).toBe(2);
    expect(slots.borrow('b:80', 8)).toBe(0);
    slots.giveBack('b:80', 2);
    expect(slots.global.concurrency).toBe(3);
    slots.giveBack('a:80', 3);
    expect(slots.global.concurrency).toBe(6);
    expect(slots.borrow('a:80', 2)).toBe(2);
    slots.giveBack('a:80', 2);
    release();
    await running;
  });
});

describe('Slots.park / unpark', () => {
  it('lends a sleeping download’s slot to the queue and takes one back before it goes on; -j holds throughout', async () => {
    const slots = new Slots({ concurrency: 2, perHost: 2 });
    let running = 0;
    let max = 0;
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const work = async (parks: boolean) => {
      running++;
      max = Math.max(max, running);
      if (parks) {
        running--;
        slots.park('h');
        await sleep(30);
        await slots.unpark('h');
        running++;
        max = Math.max(max, running);
      }
      await sleep(10);
      running--;
    };
    const started: Promise<void>[] = [];
    started.push(slots.global(() => work(true)));
    for (let i = 0; i < 6; i++) started.push(slots.global(() => work(false)));
    await vi.runAllTimersAsync();
    await Promise.all(started);
    expect(max).toBe(2);
    expect(slots.global.concurrency).toBe(2);
    expect(slots.global.activeCount).toBe(0);
  });
});
