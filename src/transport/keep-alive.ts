import type { OpenConnections, Transport } from './transport.js';

/**
 * Which connections are worth keeping alive. A list spread over many hosts would otherwise keep an idle
 * keep-alive socket for every host it reached in the last few seconds (4 s at thousands of URLs a second:
 * thousands of open files, past a default `ulimit -n` of 1024). A request asks for its connection to be closed
 * after the response ("connection: close") when no other download of the run waits for its host and the
 * transport already holds connections to `limit` origins (4 x -j, per worker thread: curl's connection cache
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
