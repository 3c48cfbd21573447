/** How a request or its body failed, in any transport's words: classifyNetworkError maps it onto dlpool's codes. */
export type TransportFailure =
  | 'connect-timeout'
  | 'headers-timeout'
  | 'body-timeout'
  /** The connection closed or broke before the answer was whole. */
  | 'closed'
  /** The server's answer is not HTTP the client can read (a retry would meet the same). */
  | 'protocol'
  /** The request cannot be sent as asked (a header value the client refuses). */
  | 'request'
  | 'aborted';

/** An error a transport fails with: `failure` says how; `code` and `cause`, when set, are the client's own. */
export interface TransportError extends Error {
  failure: TransportFailure;
}

export function transportError(failure: TransportFailure, message: string): TransportError {
  return Object.assign(new Error(message), { failure });
}

export function failureOf(err: unknown): TransportFailure | undefined {
  return err !== null && typeof err === 'object' && 'failure' in err
    ? (err.failure as TransportFailure)
    : undefined;
}
