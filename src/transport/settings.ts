import { X509Certificate } from 'node:crypto';
import fs from 'node:fs/promises';
import { DlpoolError } from '../errors.js';
import { reasonOf } from '../errno-text.js';
import type { ProxySettings } from './proxy.js';

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
