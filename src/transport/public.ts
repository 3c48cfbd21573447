/** What the library offers of its transport: the interface, and the adapter of a caller's own undici pool. */
export type {
  HttpVersion,
  OpenConnections,
  Transport,
  TransportRequest,
  TransportResponse,
} from './transport.js';
export type { TransportError, TransportFailure } from './failure.js';
export { undiciTransport } from './undici/adapter.js';
