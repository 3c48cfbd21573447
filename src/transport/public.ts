/** What the library offers of its transport: the interface, and the adapter of a caller's own undici pool. */
export type { OpenConnections, Transport, TransportRequest, TransportResponse } from './transport.js';
export { undiciTransport } from './undici.js';
