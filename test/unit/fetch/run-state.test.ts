import { Agent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { normalizeOptions } from '../../../src/options.js';
import { HostGate } from '../../../src/policy/host-gate.js';
import { type RunState, runState } from '../../../src/policy/run-state.js';
import { undiciTransport } from '../../../src/transport/undici/adapter.js';

const made: RunState[] = [];
afterEach(async () => {
  await Promise.all(made.splice(0).map((r) => (r.ownsTransport ? r.transport.destroy() : undefined)));
});

function build(...args: Parameters<typeof runState>): RunState {
  const r = runState(...args);
  made.push(r);
  return r;
}

describe('runState', () => {
  const opts = normalizeOptions({ limitRateBytes: 3000, hostRate: 9, concurrency: 6 });

  it('gives one event loop the whole run: the rate, the host rate, 4 x -j origins kept alive', () => {
    const r = build({ ...opts, maxConnections: 90 });
    expect(r.limiter?.bytesPerSec).toBe(3000);
    expect(r.hostGate).toBeInstanceOf(HostGate);
    expect((r.hostGate as HostGate).rateOf('h:1')).toBeCloseTo(9);
    expect(r.keepAlive.limit).toBe(24);
    expect(r.keepAlive.maxConnections).toBe(90);
    expect(r.ownsTransport).toBe(true);
  });

  it('gives each of several event loops an equal share of connections, but the run’s one rate bucket and gates', () => {
    const first = build({ ...opts, maxConnections: 90 });
    const r = build(
      { ...opts, maxConnections: 90 },
      { loops: 3, rateBucket: first.limiter!.shared(), hostGate: first.hostGate },
    );
    expect(r.limiter?.bytesPerSec).toBe(3000);
    expect(r.limiter?.shared()).toBe(first.limiter!.shared());
    expect(r.hostGate).toBe(first.hostGate);
    expect(r.keepAlive.limit).toBe(8);
    expect(r.keepAlive.maxConnections).toBe(30);
  });

  it('leaves out the limits not asked for, and keeps a given pool its giver’s', async () => {
    const agent = new Agent();
    try {
      const r = build(normalizeOptions({}), { transport: undiciTransport(agent) });
      expect(r.limiter).toBeUndefined();
      expect(r.hostGate).toBeUndefined();
      expect(r.keepAlive.maxConnections).toBe(Infinity);
      expect(r.transport).toBe(undiciTransport(agent));
      expect(r.ownsTransport).toBe(false);
    } finally {
      await agent.destroy();
    }
  });
});
