import type { Dispatcher } from 'undici';
import { dispatchGet, type ProtocolOf } from './dispatch.js';
import type { OpenConnections, Transport } from '../transport.js';

/** One adapter per dispatcher, so runs sharing a pool share its connection count too. */
const adapters = new WeakMap<Dispatcher, Transport>();

/**
 * dlpool's Transport over an undici Dispatcher (an Agent, a ProxyAgent, a Pool...): how a caller shares its
 * own connection pool with runs (DownloadOptions.transport). destroy() destroys the dispatcher. `protocolOf`
 * tells the HTTP version an origin is served over (its answers' `protocol`), when the pool is dlpool's own.
 */
export function undiciTransport(dispatcher: Dispatcher, protocolOf?: ProtocolOf): Transport {
  let t = adapters.get(dispatcher);
  if (t === undefined) {
    t = {
      request: (req) => dispatchGet(dispatcher, req, protocolOf),
      open: openConnections(dispatcher),
      destroy: () => dispatcher.destroy(),
    };
    adapters.set(dispatcher, t);
  }
  return t;
}

/** Counted from the dispatcher's connect and disconnect events. */
function openConnections(dispatcher: Dispatcher): OpenConnections {
  const c: OpenConnections = { byOrigin: new Map(), total: 0 };
  dispatcher.on('connect', (origin) => {
    const k = String(origin);
    c.byOrigin.set(k, (c.byOrigin.get(k) ?? 0) + 1);
    c.total++;
  });
  dispatcher.on('disconnect', (origin) => {
    const k = String(origin);
    const n = (c.byOrigin.get(k) ?? 1) - 1;
    if (n <= 0) c.byOrigin.delete(k);
    else c.byOrigin.set(k, n);
    c.total = Math.max(0, c.total - 1);
  });
  return c;
}
