import { describe, expect, it } from 'vitest';
import { schedule } from '../../src/engine/schedule.js';
import type { FileResult } from '../../src/events.js';
import type { Job, JobOrResult } from '../../src/jobs/job.js';

async function* jobs(hosts: string[]): AsyncGenerator<JobOrResult> {
  for (const [i, host] of hosts.entries()) {
    yield { job: { id: i + 1, host } as Job };
  }
}

describe('schedule', () => {
  it('holds -j and --per-host while host limiters come and go', async () => {
    // Hosts recur after gaps, so a host's limiter is dropped when idle and made again later.
    const hosts = Array.from({ length: 3000 }, (_, i) => `h${Math.floor(i / 10) % 9}:80`);
    const perHost = new Map<string, number>();
    let inFlight = 0;
    let maxInFlight = 0;
    let maxPerHost = 0;
    const results: FileResult[] = [];
    await schedule(
      jobs(hosts),
      { concurrency: 8, perHost: 2 },
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
    expect(results).toHaveLength(3000);
    expect(maxInFlight).toBe(8);
    expect(maxPerHost).toBe(2);
  });
});
