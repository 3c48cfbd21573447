import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { buildConnector, Dispatcher } from 'undici';

/**
 * KeepAlive's "close the connection after this response" over HTTP/2. undici keeps an h2 connection open
 * whatever a request's `reset` says, and gives it no idle timeout, so with --http2 a list over many hosts kept a
 * connection to every host it had reached (measured: 120 hosts at -j 2 held 120 connections at once, 10 over
 * HTTP/1.1). Here an origin's h2 connections are closed once a response that asked for it has ended and no other
 * request of the run is in flight to that origin; a request to it that comes meanwhile waits until they are
 * closed and then opens a new one (destroying a socket with a stream on it would fail that download).
 */
export class H2Closer {
  /** Open h2 connections per origin (`https://host[:port]`, as URL.origin writes it). */
  readonly #sockets = new Map<string, Set<Socket>>();
  /** Requests dispatched and not ended, per origin. */
  readonly #inFlight = new Map<string, number>();
  /** Origins whose h2 connections are being closed: settles when every one has. */
  readonly #closing = new Map<string, Promise<void>>();

  /** undici's connector (built with allowH2), recording which origin each h2 connection serves. */
  connector(inner: buildConnector.connector): buildConnector.connector {
    return (opts, callback) => {
      inner(opts, (...args) => {
        const socket = args[1];
        const origin = socket && (socket as TLSSocket).alpnProtocol === 'h2' ? originOf(opts) : undefined;
        if (socket && origin !== undefined) {
          let set = this.#sockets.get(origin);
          if (set === undefined) this.#sockets.set(origin, (set = new Set()));
          const sockets = set;
          sockets.add(socket);
          socket.once('close', () => {
            sockets.delete(socket);
            if (sockets.size === 0 && this.#sockets.get(origin) === sockets) this.#sockets.delete(origin);
          });
        }
        callback(...args);
      });
    };
  }

  /** Whether `origin` is served over h2 now (its connection negotiated it by ALPN). */
  isH2(origin: string): boolean {
    return this.#sockets.has(origin);
  }

  /** The interceptor (Dispatcher.compose) that counts requests per origin and closes after those asking to. */
  readonly interceptor: Dispatcher.DispatcherComposeInterceptor =
    (dispatch) =>
    (opts, handler): boolean => {
      // dlpool's requests carry URL.origin strings.
      const origin = String(opts.origin);
      const closing = this.#closing.get(origin);
      if (closing === undefined) return this.#start(dispatch, origin, opts, handler);
      void closing
        .then(() => this.#start(dispatch, origin, opts, handler))
        // (A dispatcher destroyed meanwhile throws: the request fails as it would have at once.)
        .catch((err: unknown) => handler.onResponseError?.(undefined as never, err as Error));
      return true;
    };

  #start(
    dispatch: Dispatcher.Dispatch,
    origin: string,
    opts: Dispatcher.DispatchOptions,
    handler: Dispatcher.DispatchHandler,
  ): boolean {
    this.#inFlight.set(origin, (this.#inFlight.get(origin) ?? 0) + 1);
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      const n = (this.#inFlight.get(origin) ?? 1) - 1;
      if (n > 0) return void this.#inFlight.set(origin, n);
      this.#inFlight.delete(origin);
      if (opts.reset === true && this.#sockets.has(origin)) this.#close(origin);
    };
    try {
      return dispatch(opts, {
        onRequestStart: (c, ctx) => handler.onRequestStart?.(c, ctx),
        onRequestUpgrade: (c, s, h, sock) => handler.onRequestUpgrade?.(c, s, h, sock),
        onResponseStart: (c, s, h, m) => handler.onResponseStart?.(c, s, h, m),
        onResponseData: (c, chunk) => handler.onResponseData?.(c, chunk),
        onResponseEnd: (c, trailers) => {
          end();
          handler.onResponseEnd?.(c, trailers);
        },
        onResponseError: (c, err) => {
          end();
          handler.onResponseError?.(c, err);
        },
      });
    } catch (err) {
      end();
      throw err;
    }
  }

  /**
   * Closes the origin's h2 connections on the next turn, once undici has counted the stream as done (it asserts
   * that a closing h2 connection has none running).
   */
  #close(origin: string): void {
    const done = new Promise<void>((resolve) => {
      setImmediate(() => {
        const sockets = [...(this.#sockets.get(origin) ?? [])];
        if ((this.#inFlight.get(origin) ?? 0) > 0 || sockets.length === 0) return resolve();
        let left = sockets.length;
        for (const s of sockets) {
          s.once('close', () => {
            if (--left === 0) resolve();
          });
          s.destroy(closedByPolicy());
        }
      });
    }).finally(() => this.#closing.delete(origin));
    this.#closing.set(origin, done);
  }
}

/** The origin undici connects to, as URL.origin writes it (undici gives an IPv6 hostname without brackets). */
export function originOf(opts: buildConnector.Options): string | undefined {
  const host =
    opts.host ??
    `${opts.hostname.includes(':') ? `[${opts.hostname}]` : opts.hostname}${opts.port ? `:${opts.port}` : ''}`;
  return URL.parse(`${opts.protocol}//${host}`)?.origin;
}

/**
 * The reason a connection is closed with: undici reads it as the socket's error (without one, its h2 session
 * close handler reads the address of a socket already gone and throws), and its code is the one undici leaves
 * alone when no request is running on the connection.
 */
function closedByPolicy(): Error {
  return Object.assign(new Error('closed after its response (keep-alive policy)'), {
    code: 'UND_ERR_SOCKET',
  });
}
