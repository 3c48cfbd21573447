import { DlpoolError, errnoOf, TimeoutError } from '../errors.js';
import { failureOf } from './failure.js';

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
]);

/** Certificate and handshake failures: a retry would meet the same certificate, so they are final. */
const TLS_CODE = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|^ERR_TLS_|^ERR_SSL_/;

function tlsCodeOf(err: unknown): string | undefined {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 3; depth++) {
    const code = 'code' in e ? String(e.code) : '';
    if (TLS_CODE.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export interface ErrorContext {
  url: string;
  attempt: number;
  connectTimeoutMs: number;
  timeoutMs: number;
}

/**
 * Maps what a transport fails with (its TransportFailure, else the socket's errno or Node's code) onto dlpool's
 * codes; a DlpoolError passes through unchanged.
 */
export function classifyNetworkError(err: unknown, ctx: ErrorContext): DlpoolError {
  if (err instanceof DlpoolError) return err;
  const code = err && typeof err === 'object' && 'code' in err ? String(err.code) : '';
  const init = { url: ctx.url, attempt: ctx.attempt, cause: err };
  const failure = failureOf(err);
  if (failure === 'connect-timeout') return new TimeoutError('connect', ctx.connectTimeoutMs, init);
  if (failure === 'headers-timeout') return new TimeoutError('headers', ctx.timeoutMs, init);
  if (failure === 'body-timeout') return new TimeoutError('body', ctx.timeoutMs, init);
  const message = err instanceof Error ? err.message : String(err);
  // Errors that come back every time: retrying only delays the report.
  if (failure === 'protocol') {
    return new DlpoolError('ERR_DL_PROTOCOL', code ? `${message} (${code})` : message, init);
  }
  if (failure === 'request' || code === 'ERR_INVALID_CHAR' || code === 'ERR_HTTP_INVALID_HEADER_VALUE') {
    return new DlpoolError('ERR_DL_REQUEST', message, init);
  }
  const tls = tlsCodeOf(err);
  if (tls !== undefined) return new DlpoolError('ERR_DL_TLS', `${message} (${tls})`, init);
  // The name server answered that the host does not exist: it will say so again (curl does not retry it).
  // EAI_AGAIN, no answer in time, stays a retried network error.
  const errno = errnoOf(err) ?? errnoOf((err as { cause?: unknown } | undefined)?.cause);
  if (code === 'ENOTFOUND' || errno === 'ENOTFOUND') {
    return new DlpoolError('ERR_DL_DNS', `${message} (ENOTFOUND: no such host)`, {
      ...init,
      errno: 'ENOTFOUND',
    });
  }
  if (failure === 'closed' || NETWORK_CODES.has(code) || errnoOf(err) !== undefined) {
    // The socket's errno hides under the client's wrapper; surface it.
    const errno = errnoOf(err) ?? errnoOf((err as { cause?: unknown }).cause);
    return new DlpoolError('ERR_DL_NETWORK', errno ? `${message} (${errno})` : message, { ...init, errno });
  }
  return new DlpoolError('ERR_DL_NETWORK', message, init);
}
