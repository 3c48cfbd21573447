import { spawnSync } from 'node:child_process';
import path from 'node:path';

export interface Certificate {
  cert: string;
  key: string;
}

/**
 * A fresh self-signed EC P-256 certificate (valid 2 days; it is its own CA) as cert.pem and key.pem in `dir`,
 * made with openssl; `altName` e.g. 'IP:127.0.0.1'. Returns openssl's complaint when it cannot make one.
 */
export function selfSignedCertificate(
  dir: string,
  subject: string,
  altName?: string | undefined,
): Certificate | { error: string } {
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  args.push('-days', '2', '-utf8', '-subj', subject);
  if (altName !== undefined) args.push('-addext', `subjectAltName=${altName}`);
  args.push('-keyout', key, '-out', cert);
  const made = spawnSync('openssl', args, { encoding: 'utf8' });
  if (made.status !== 0) return { error: made.stderr || String(made.error) };
  return { cert, key };
}
