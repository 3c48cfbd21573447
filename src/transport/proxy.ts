import { UsageError } from '../errors.js';

/** Proxies of a run: http:// URLs go through `httpProxy`, https:// through `httpsProxy`, hosts in `noProxy` direct. */
export interface ProxySettings {
  httpProxy?: string | undefined;
  httpsProxy?: string | undefined;
  noProxy?: string | undefined;
}

/** HTTP_PROXY, HTTPS_PROXY and NO_PROXY (either case) as curl reads them, each proxy checked (proxyUrl). */
export function proxyFromEnv(env: NodeJS.ProcessEnv): ProxySettings | undefined {
  // curl reads lower-case http_proxy only (upper-case HTTP_PROXY is ignored there for CGI safety), but the
  // upper-case forms of https_proxy and no_proxy; we accept either case, lower-case first, as the proxy agent does.
  const [httpName, httpProxy] = envOf(env, 'http_proxy');
  const [httpsName, httpsProxy] = envOf(env, 'https_proxy');
  const noProxy = envOf(env, 'no_proxy')[1];
  if (!httpProxy && !httpsProxy) return undefined;
  return {
    httpProxy: httpProxy ? proxyUrl(httpName, httpProxy) : undefined,
    httpsProxy: httpsProxy ? proxyUrl(httpsName, httpsProxy) : undefined,
    noProxy,
  };
}

function envOf(env: NodeJS.ProcessEnv, lower: string): [string, string | undefined] {
  const upper = lower.toUpperCase();
  return env[lower] !== undefined ? [lower, env[lower]] : [upper, env[upper]];
}

/**
 * A proxy as curl takes it: `host:port` without a scheme is http://; http:// and https:// proxies work. Anything
 * else is one usage error naming where the value came from (the value itself may hold a password).
 */
export function proxyUrl(name: string, value: string): string {
  const text = value.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new UsageError(
      `${name}: not a proxy URL (expected http://HOST:PORT, or HOST:PORT as curl takes it)`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(
      `${name}: ${url.protocol.slice(0, 20)} proxies are not supported (http:// or https://)`,
    );
  }
  if (url.hostname === '') throw new UsageError(`${name}: the proxy URL names no host`);
  return withScheme;
}

/** The `proxy` option given as an object, checked as the variables are. */
export function proxyOption(p: ProxySettings): ProxySettings {
  return {
    httpProxy: p.httpProxy ? proxyUrl('proxy.httpProxy', p.httpProxy) : undefined,
    httpsProxy: p.httpsProxy ? proxyUrl('proxy.httpsProxy', p.httpsProxy) : undefined,
    noProxy: p.noProxy,
  };
}
