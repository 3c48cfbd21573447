import type { FileResult } from '../events.js';

/** A result as every JSON output writes it (get --json, shard results; schemas/get.schema.json): nulls, not gaps. */
export function resultJson(r: FileResult) {
  return {
    url: r.url,
    source: r.source,
    line: r.line,
    path: r.path ?? null,
    status: r.status,
    bytes: r.bytes,
    transferred: r.transferred,
    attempts: r.attempts,
    ms: r.ms,
    resumed: r.resumed,
    mirror: r.mirror ?? null,
    digest: r.digest
      ? { algorithm: r.digest.algorithm, hex: r.digest.hex, verified: r.digest.verified }
      : null,
    // Only on --spider's results.
    ...(r.check
      ? { check: { status: r.check.status, size: r.check.size ?? null, method: r.check.method } }
      : {}),
    error: r.error
      ? {
          code: r.error.code,
          message: r.error.message,
          errno: r.error.errno ?? null,
          status: r.error.status ?? null,
        }
      : null,
  };
}
