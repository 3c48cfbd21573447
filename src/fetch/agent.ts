import { Agent, type Dispatcher, EnvHttpProxyAgent } from 'undici';
import type { NormalizedOptions } from '../options.js';

/**
 * One dispatcher per run: keep-alive connection pools per origin, the connect timeout, and the idle timeouts
 * (undici's headersTimeout/bodyTimeout are both "time without a byte", which is what --timeout means).
 * With a proxy configured, EnvHttpProxyAgent applies NO_PROXY the way curl does.
 */
export function createDispatcher(opts: NormalizedOptions): Dispatcher {
  const common = {
    connect: { timeout: opts.connectTimeoutMs },
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
    keepAliveTimeout: 4_000,
    // A slot frees when its body ends, a moment before undici counts the socket idle; without a cap the next
    // request then opens another connection, and -j 64 against one host was measured holding ~128 sockets.
    connections: opts.perHost,
  };
  if (opts.proxy) {
    return new EnvHttpProxyAgent({
      ...common,
      // Like curl: plain http:// goes to the proxy as an absolute-form GET; https:// tunnels with CONNECT.
      proxyTunnel: false,
      ...(opts.proxy.httpProxy ? { httpProxy: opts.proxy.httpProxy } : {}),
      ...(opts.proxy.httpsProxy ? { httpsProxy: opts.proxy.httpsProxy } : {}),
      ...(opts.proxy.noProxy !== undefined ? { noProxy: opts.proxy.noProxy } : {}),
    });
  }
  return new Agent(common);
}
