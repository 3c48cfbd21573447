import { describe, expect, it } from 'vitest';
import { HostGate } from '../../../src/policy/host-gate.js';
import { MAX_DELAY_MS } from '../../../src/options.js';

/** A clock the test moves by hand. */
function clock() {
  let t = 1000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('HostGate (--host-rate)', () => {
  it('spaces the requests to one host evenly, and leaves other hosts alone', () => {
    const c = clock();
    const gate = new HostGate(4, c.now); // one every 250 ms
    expect([gate.reserve('a:80'), gate.reserve('a:80'), gate.reserve('a:80')]).toEqual([0, 250, 500]);
    expect(gate.reserve('b:80')).toBe(0);
    c.advance(1000); // idle long enough: no debt carried, no burst saved up beyond one request
    expect([gate.reserve('a:80'), gate.reserve('a:80')]).toEqual([0, 250]);
  });

  it('a 429 or 503 pauses the host until Retry-After, then halves its rate for the rest of the run', () => {
    const c = clock();
    const gate = new HostGate(10, c.now); // every 100 ms
    expect(gate.reserve('a:80')).toBe(0);
    gate.slowDown('a:80', 3000);
    expect(gate.rateOf('a:80')).toBe(5);
    expect(gate.reserve('a:80')).toBe(3000);
    expect(gate.reserve('a:80')).toBe(3200);
    gate.slowDown('a:80', undefined); // no Retry-After: only slower
    expect(gate.rateOf('a:80')).toBe(2.5);
    // Counted, so a request whose turn was booked before a rest books again (request.ts).
    expect([gate.rests('a:80'), gate.rests('b:80')]).toEqual([2, 0]);
    expect(gate.rateOf('b:80')).toBe(10);
  });

  it('forgets idle hosts at their full rate once it holds many, keeping the slowed ones', () => {
    const c = clock();
    const gate = new HostGate(1000, c.now);
    gate.slowDown('slow:80', undefined);
    for (let i = 0; i < 10_001; i++) gate.reserve(`h${i}:80`);
    c.advance(10);
    gate.reserve('new:80');
    expect(gate.rateOf('slow:80')).toBe(500);
  });

  it('never asks for a wait longer than a timer holds, whatever Retry-After or the rate says', () => {
    const c = clock();
    const gate = new HostGate(2, c.now, 300_000);
    expect(gate.reserve('a:80')).toBe(0);
    gate.slowDown('a:80', 99_999_999_000); // Retry-After: 99999999 (three years)
    expect(gate.reserve('a:80')).toBe(300_000); // the run's longest Retry-After
    for (let i = 0; i < 40; i++) gate.slowDown('a:80', undefined); // halved past any sane rate
    const slow = new HostGate(1e-12, c.now); // a rate normalizeOptions refuses, given here directly
    for (const g of [gate, slow]) {
      for (let i = 0; i < 3; i++) expect(g.reserve('a:80')).toBeLessThanOrEqual(MAX_DELAY_MS);
    }
  });
});
