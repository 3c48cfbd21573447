import { describe, expect, it } from 'vitest';
import { onAbortOf } from '../../../src/transport/undici/dispatch.js';

describe('onAbortOf', () => {
  it('calls every subscriber still subscribed when the signal aborts, once, through one listener', () => {
    const controller = new AbortController();
    const { signal } = controller;
    let listeners = 0;
    const add = signal.addEventListener.bind(signal);
    signal.addEventListener = ((...args: Parameters<typeof add>) => {
      listeners++;
      add(...args);
    }) as typeof signal.addEventListener;
    const calls: string[] = [];
    onAbortOf(signal, () => calls.push('a'));
    const offB = onAbortOf(signal, () => calls.push('b'));
    onAbortOf(signal, () => calls.push('c'));
    offB();
    controller.abort();
    controller.abort();
    expect(calls).toEqual(['a', 'c']);
    expect(listeners).toBe(1);
  });
});
