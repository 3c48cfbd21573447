import { X509Certificate } from 'node:crypto';
import fs from 'node:fs/promises';
import { Agent, buildConnector, type Dispatcher, EnvHttpProxyAgent } from 'undici';
import { DlpoolError } from '../errors.js';
import { reasonOf } from '../errno-text.js';
import type { ProxySettings } from './proxy.js';
import { H2Closer } from './h2-close.js';
import type { OpenConnections, Transport } from './transport.js';
import { undiciTransport } from './undici.js';

const PEM_CERT = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

/**
 * Reads `--ca-certificate FILE` once, before anything downloads: a missing file or one without a readable
 * PEM certificate is ERR_DL_INPUT (exit 2), not a TLS failure on every download.
 */
export async function loadCaCertificate(file: string): Promise<string> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new DlpoolError('ERR_DL_INPUT', `cannot read CA certificate '${file}': ${reasonOf(err)}`, {
      cause: err,
    });
  }
  const certs = text.match(PEM_CERT) ?? [];
  try {
    // Node's TLS silently ignores text it cannot parse; parse here so a bad file is reported.
    for (const pem of certs) new X509Certificate(pem);
  } catch (err) {
    throw new DlpoolError(
      'ERR_DL_INPUT',
      `cannot read CA certificate '${file}': not a valid PEM certificate`,
      {
        cause: err,
      },
    );
  }
  if (certs.length === 0) {
    throw new DlpoolError('ERR_DL_INPUT', `cannot read CA certificate '${file}': no PEM certificate in it`);
  }
  return certs.join('\n');
}

/**
 * Which connections are worth keeping alive. A list spread over many hosts would otherwise keep an idle
 * keep-alive socket for every host it reached in the last few seconds (4 s at thousands of URLs a second:
 * thousands of open files, past a default `ulimit -n` of 1024). A request asks for its connection to be closed
 * after the response ("connection: close") when no other download of the run waits for its host and the
 * dispatcher already holds connections to `limit` origins (4 x -j, per worker thread: curl's connection cache
 * is 4 x its transfers too); a host the list comes back to soon keeps its connection, and so does every host
 * of a list over fewer hosts than that. Past `maxConnections` open connections (what the open-file limit
 * leaves, see fitOpenFiles) every connection is closed after its response.
 */
export class KeepAlive {
  /** Open connections per origin, as the transport counts them. */
  readonly #open: OpenConnections;

  constructor(
    transport: Transport,
    readonly limit: number,
    readonly maxConnections = Infinity,
  ) {
    this.#open = transport.open;
  }

  /** Origins with a connection open now. */
  get origins(): number {
    return this.#open.byOrigin.size;
  }

  /** Connections open now, busy or idle. */
  get connections(): number {
    return this.#open.total;
  }

  /** Close the connection after this request? `hostAgain`: see Job.hostAgain. */
  closeAfter(hostAgain: boolean | undefined): boolean {
    return (
      (hostAgain !== true && this.#open.byOrigin.size >= this.limit) ||
      this.#open.total >= this.maxConnections
    );
  }
}

/** What the connection pool is made from: the run's options (NormalizedOptions) hold these. */
export interface AgentSettings {
  insecure: boolean;
  caCertificate: string | undefined;
  http2: boolean;
  connectTimeoutMs: number;
  timeoutMs: number;
  perHost: number;
  proxy: ProxySettings | undefined;
}

/** The warning a run with --insecure emits, once (the CLI prints it on stderr). */
export function insecureWarning(opts: AgentSettings): string | undefined {
  if (!opts.insecure) return undefined;
  const ca = opts.caCertificate === undefined ? '' : ' (--ca-certificate is not used)';
  return `--insecure: TLS certificates are not checked: anyone on the network path can read and change the downloads${ca}`;
}

/**
 * How connections to https: origins check the server: --insecure accepts any certificate (and so has no use for
 * `ca`, as curl -k wins over --cacert); else `ca` (PEM text of --ca-certificate) replaces Node's bundled CAs, as
 * curl --cacert replaces its bundle.
 */
function originTls(opts: AgentSettings, ca: string | undefined): { ca?: string; rejectUnauthorized?: false } {
  if (opts.insecure) return { rejectUnauthorized: false };
  return ca === undefined ? {} : { ca };
}

/** The run's transport: undici over createDispatcher's pool. */
export function createTransport(opts: AgentSettings, ca?: string): Transport {
  return undiciTransport(createDispatcher(opts, ca));
}

/**
 * One dispatcher per run (or one given, see DownloadOptions.transport): keep-alive connection pools per origin, the connect timeout, and the idle timeouts
 * (undici's headersTimeout/bodyTimeout are both "time without a byte", which is what --timeout means).
 * With a proxy configured, EnvHttpProxyAgent applies NO_PROXY the way curl does.
 */
export function createDispatcher(opts: AgentSettings, ca?: string): Dispatcher {
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
  return closer ? dispatcher.compose(closer.interceptor) : dispatcher;
}
