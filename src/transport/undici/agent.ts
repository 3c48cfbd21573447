import { Agent, buildConnector, type Dispatcher, EnvHttpProxyAgent } from 'undici';
import type { AgentSettings } from '../settings.js';
import type { HttpVersion, Transport } from '../transport.js';
import { undiciTransport } from './adapter.js';
import { H2Closer } from './h2-close.js';

/**
 * How connections to https: origins check the server: --insecure accepts any certificate (and so has no use for
 * `ca`, as curl -k wins over --cacert); else `ca` (PEM text of --ca-certificate) replaces Node's bundled CAs, as
 * curl --cacert replaces its bundle.
 */
function originTls(opts: AgentSettings, ca: string | undefined): { ca?: string; rejectUnauthorized?: false } {
  if (opts.insecure) return { rejectUnauthorized: false };
  return ca === undefined ? {} : { ca };
}

/**
 * The run's transport: undici over createDispatcher's pool. Its answers say their HTTP version: 2 where the
 * origin's connection negotiated h2 (--http2), 1.1 elsewhere.
 */
export function createTransport(opts: AgentSettings, ca?: string): Transport {
  const { dispatcher, closer } = pool(opts, ca);
  const protocolOf = closer ? (origin: string) => (closer.isH2(origin) ? HTTP_2 : HTTP_1_1) : () => HTTP_1_1;
  return undiciTransport(dispatcher, protocolOf);
}

const HTTP_2: HttpVersion = '2';
const HTTP_1_1: HttpVersion = '1.1';

/**
 * One dispatcher per run (or one given, see DownloadOptions.transport): keep-alive connection pools per origin, the connect timeout, and the idle timeouts
 * (undici's headersTimeout/bodyTimeout are both "time without a byte", which is what --timeout means).
 * With a proxy configured, EnvHttpProxyAgent applies NO_PROXY the way curl does.
 */
export function createDispatcher(opts: AgentSettings, ca?: string): Dispatcher {
  return pool(opts, ca).dispatcher;
}

function pool(opts: AgentSettings, ca: string | undefined): { dispatcher: Dispatcher; closer?: H2Closer } {
  const tls = originTls(opts, ca);
  // h2 where the server's ALPN answer takes it, HTTP/1.1 elsewhere; http: is never upgraded (no h2c). Over h2,
  // KeepAlive's close-after-response is done by H2Closer (undici keeps h2 connections open).
  const closer = opts.http2 ? new H2Closer() : undefined;
  const common = {
    connect: closer
      ? closer.connector(buildConnector({ timeout: opts.connectTimeoutMs, ...tls, allowH2: true }))
      : { timeout: opts.connectTimeoutMs, ...tls },
    ...(closer ? { allowH2: true } : {}),
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
    keepAliveTimeout: 4_000,
    // A slot frees when its body ends, a moment before undici counts the socket idle; without a cap the next
    // request then opens another connection, and -j 64 against one host was measured holding ~128 sockets.
    connections: opts.perHost,
  };
  const dispatcher = opts.proxy
    ? new EnvHttpProxyAgent({
        ...common,
        // Like curl: plain http:// goes to the proxy as an absolute-form GET; https:// tunnels with CONNECT.
        proxyTunnel: false,
        // TLS to the origin inside the CONNECT tunnel (an https: proxy's own certificate is still checked, as
        // curl checks it unless --proxy-insecure). undici's tunnel offers no h2: HTTP/1.1 there, --http2 or not.
        ...(Object.keys(tls).length === 0 ? {} : { requestTls: tls }),
        ...(opts.proxy.httpProxy ? { httpProxy: opts.proxy.httpProxy } : {}),
        ...(opts.proxy.httpsProxy ? { httpsProxy: opts.proxy.httpsProxy } : {}),
        ...(opts.proxy.noProxy !== undefined ? { noProxy: opts.proxy.noProxy } : {}),
      })
    : new Agent(common);
  return closer ? { dispatcher: dispatcher.compose(closer.interceptor), closer } : { dispatcher };
}
