import { transportError } from '../../src/transport/failure.js';
import { ResponseBody } from '../../src/transport/response-body.js';
import type { Transport, TransportRequest, TransportResponse } from '../../src/transport/transport.js';

/** One scripted answer of the memory transport. */
export interface Answer {
  /** @default 200 */
  status?: number;
  statusText?: string;
  /** Response headers (any case); content-length is the body's length unless given or `cut`. */
  headers?: Record<string, string | string[] | undefined>;
  /** The body, delivered chunk by chunk in order (a string is one chunk). */
  body?: string | Buffer | readonly (string | Buffer)[];
  /** The connection breaks after the body's chunks: the body fails (a 'closed' failure) instead of ending. */
  cut?: boolean;
  /** The request fails before any header with this error (a refused connection, a timeout...). */
  error?: Error;
}

/** A request as the memory transport saw it. */
export interface SeenRequest {
  url: string;
  method: 'GET' | 'HEAD';
  headers: Record<string, string>;
  close: boolean;
}

export interface MemoryTransport extends Transport {
  /** Every request, in the order made. */
  readonly requests: SeenRequest[];
  /** Bodies whose reader stopped them before their end (their request aborted). */
  aborted: number;
}

/**
 * A Transport that answers from a script instead of a socket: policy decisions (redirects, retries, resume,
 * mirrors) run through download() in milliseconds. `script` gets each request and how many came before it.
 * Bodies arrive on later turns of the event loop, and honour the reader's backpressure and destroy().
 */
export function memoryTransport(script: (req: SeenRequest, n: number) => Answer): MemoryTransport {
  const requests: SeenRequest[] = [];
  const t: MemoryTransport = {
    requests,
    aborted: 0,
    open: { byOrigin: new Map(), total: 0 },
    destroy: () => Promise.resolve(),
    request(req: TransportRequest): Promise<TransportResponse> {
      const seen: SeenRequest = {
        url: `${req.origin}${req.path}`,
        method: req.method ?? 'GET',
        headers: { ...req.headers },
        close: req.close === true,
      };
      const n = requests.length;
      requests.push(seen);
      if (req.signal.aborted) return Promise.reject(abortError(req.signal.reason));
      let answer: Answer;
      try {
        answer = script(seen, n);
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
      if (answer.error) return Promise.reject(answer.error);
      return Promise.resolve(respond(answer, seen.method, req.signal, () => t.aborted++));
    },
  };
  return t;
}

function respond(a: Answer, method: string, signal: AbortSignal, onAbort: () => void): TransportResponse {
  const raw = a.body ?? [];
  const chunks = (typeof raw === 'string' || Buffer.isBuffer(raw) ? [raw] : raw).map((c) =>
    typeof c === 'string' ? Buffer.from(c) : c,
  );
  const headers: Record<string, string | string[] | undefined> = {};
  for (const [k, v] of Object.entries(a.headers ?? {})) if (v !== undefined) headers[k.toLowerCase()] = v;
  const length = chunks.reduce((sum, c) => sum + c.length, 0);
  if (headers['content-length'] === undefined && !a.cut) headers['content-length'] = String(length);
  let stopped = false;
  let wake: (() => void) | undefined;
  const body = new ResponseBody(
    () => {
      if (!stopped) onAbort();
      stopped = true;
      wake?.();
    },
    () => wake?.(),
  );
  const onSignal = () =>
    body.destroy(signal.reason instanceof Error ? signal.reason : abortError(signal.reason));
  signal.addEventListener('abort', onSignal, { once: true });
  const feed = async () => {
    for (const chunk of method === 'HEAD' ? [] : chunks) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (stopped) break;
      // Backpressure: the next chunk waits until the body asks for more (or is stopped).
      if (!body.push(chunk)) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
    signal.removeEventListener('abort', onSignal);
    if (stopped) return;
    stopped = true;
    if (a.cut && method !== 'HEAD') body.fail(transportError('closed', 'other side closed'));
    else body.complete();
  };
  void feed();
  return { statusCode: a.status ?? 200, statusText: a.statusText ?? '', headers, body };
}

function abortError(reason: unknown): Error {
  const err = transportError(
    'aborted',
    `the request was aborted${reason === undefined ? '' : `: ${String(reason)}`}`,
  );
  err.name = 'AbortError';
  return err;
}
