import type { RateLimiter } from './rate.js';
import type { ResponseBody } from './response-body.js';
import type { SpeedFloor } from './speed-floor.js';

/**
 * dlpool's HTTP client, as the policy (redirects, retries, resume) sees it: one request in, its status, headers and
 * body out. Runs make the one default.ts names; tests give scripted ones. A failure before the headers rejects
 * `request()`, one after fails the body; classifyNetworkError turns either into dlpool's codes.
 */
export interface Transport {
  request(req: TransportRequest): Promise<TransportResponse>;
  /** Connections open now (KeepAlive decides from them which to keep); counted once per connection pool. */
  readonly open: OpenConnections;
  /** Closes every connection, idle or busy. */
  destroy(): Promise<void>;
}

export interface TransportRequest {
  origin: string;
  path: string;
  headers: Record<string, string>;
  signal: AbortSignal;
  speed?: SpeedFloor | undefined;
  /** --limit-rate: the run's shared bucket; the socket pauses while it refills. */
  limiter?: RateLimiter | undefined;
  /** Close the connection after the response ("connection: close"). */
  close?: boolean | undefined;
  /** The time from sending the request to its final headers, informational (1xx) answers included. */
  headersTimeoutMs?: number | undefined;
  /** The longest wait for a byte, headers and body, over the transport's own (an entry's timeout=). */
  idleTimeoutMs?: number | undefined;
  /** HEAD for --spider. @default 'GET' */
  method?: 'GET' | 'HEAD' | undefined;
}

export interface TransportResponse {
  statusCode: number;
  /** The reason phrase as the server sent it (--verbose shows it). */
  statusText: string;
  /** Names lower-cased, repeated ones as arrays. */
  headers: Record<string, string | string[] | undefined>;
  body: ResponseBody;
  /** The HTTP version the answer came over, when the transport knows it. */
  protocol?: HttpVersion | undefined;
}

export type HttpVersion = '1.1' | '2';

export interface OpenConnections {
  /** Open connections per origin. */
  readonly byOrigin: Map<string, number>;
  total: number;
}
