import type { Dispatcher } from 'undici';
import { MAX_DELAY_MS } from '../../option-values.js';
import { ResponseBody } from '../response-body.js';
import { type TransportError, transportError, type TransportFailure } from '../failure.js';
import type { HttpVersion, TransportRequest, TransportResponse } from '../transport.js';
import { unwatchSpeed, type Watched, watchSpeed } from '../speed-floor.js';

/** Response headers as undici's request() gives them: names lower-cased, repeated ones as arrays. */
function parseHeaders(raw: Buffer[]): Record<string, string | string[] | undefined> {
  const out: Record<string, string | string[] | undefined> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1').toLowerCase();
    const value = raw[i + 1]!.toString('latin1');
    const had = out[name];
    if (had === undefined) out[name] = value;
    else if (Array.isArray(had)) had.push(value);
    else out[name] = [had, value];
  }
  return out;
}

/** The HTTP version `origin` is served over, as the pool knows it. */
export type ProtocolOf = (origin: string) => HttpVersion;

/**
 * One GET through undici's dispatch(): resolves with the status and headers as soon as they arrive, the body
 * following as a ResponseBody. Rejects when the request fails before the headers (connect errors, timeouts,
 * `signal`). `signal` aborting later destroys the body with the signal's reason.
 */
export function dispatchGet(
  dispatcher: Dispatcher,
  req: TransportRequest,
  protocolOf?: ProtocolOf,
): Promise<TransportResponse> {
  return new Promise((resolve, reject) => {
    const { signal } = req;
    let abort: ((reason: Error) => void) | undefined;
    let body: ResponseBody | undefined;
    /** Body bytes still to come by Content-Length (Infinity when it is not given). */
    let left = Infinity;
    let settled = false;
    let speed: Watched | undefined;
    let resumeSocket: (() => void) | undefined;
    let sentAt = 0;
    let hints: NodeJS.Timeout | undefined;
    const reasonOf = () => (signal.reason instanceof Error ? signal.reason : abortError(signal.reason));
    const onAbort = () => {
      if (body) body.destroy(reasonOf());
      else abort?.(reasonOf());
    };
    if (signal.aborted) return reject(reasonOf());
    const unsubscribe = onAbortOf(signal, onAbort);
    const done = () => {
      unsubscribe();
      if (speed) unwatchSpeed(speed);
      if (hints) clearTimeout(hints);
    };
    const handler: Dispatcher.DispatchHandler = {
      onConnect(abortFn) {
        abort = abortFn;
        sentAt = performance.now();
        if (signal.aborted) abortFn(reasonOf());
      },
      onHeaders(statusCode, rawHeaders, resume, statusText) {
        if (statusCode < 200) {
          // Informational: the real answer follows. undici restarts its headers timeout at each one, so a
          // server sending 103 Early Hints for ever would hold the download for ever: the first one starts a
          // deadline of our own, counted from the request.
          const ms = req.headersTimeoutMs;
          if (hints === undefined && ms !== undefined) {
            const left = Math.max(0, sentAt + ms - performance.now());
            hints = setTimeout(() => abort?.(headersTimeout(ms)), Math.min(left, MAX_DELAY_MS));
          }
          return true;
        }
        if (hints) clearTimeout(hints);
        resumeSocket = resume;
        body = new ResponseBody(abort ?? (() => {}), resume);
        if (req.speed && req.speed.minBytesPerSec > 0) speed = watchSpeed(body, req.speed);
        settled = true;
        const headers = parseHeaders(rawHeaders as unknown as Buffer[]);
        const length = Number(headers['content-length']);
        if (Number.isSafeInteger(length) && length >= 0) left = length;
        resolve({ statusCode, statusText, headers, body, protocol: protocolOf?.(req.origin) });
        return true;
      },
      onData(chunk) {
        if (speed) speed.bytes += chunk.length;
        const more = body!.push(chunk);
        const wait = req.limiter?.take(chunk.length) ?? 0;
        left -= chunk.length;
        // The last bytes are not waited for here: a parser paused after them does not see the response end, and a
        // server closing the idle connection meanwhile (a keep-alive timeout) makes that 'other side closed'.
        if (left <= 0) return true;
        if (wait === 0) return more;
        // Over the rate: the socket rests until the bucket has refilled (a body that has ended meanwhile
        // ignores the late resume).
        setTimeout(() => {
          if (!body?.destroyed) resumeSocket?.();
        }, wait);
        return false;
      },
      onComplete() {
        // The body ends once the bytes taken are paid for (its last ones were not waited for in onData), as wget
        // sleeps after its last read: a run's average stays within --limit-rate.
        if (speed) unwatchSpeed(speed);
        speed = undefined;
        const end = () => {
          done();
          body?.complete();
        };
        const wait = req.limiter?.debtMs() ?? 0;
        if (wait === 0) end();
        else setTimeout(end, wait);
      },
      onError(err) {
        done();
        tag(err);
        if (!settled) {
          settled = true;
          reject(err);
        } else body?.fail(err);
      },
    };
    const method = req.method ?? 'GET';
    try {
      const idle = req.idleTimeoutMs;
      const timeouts = idle === undefined ? undefined : { headersTimeout: idle, bodyTimeout: idle };
      const o = { origin: req.origin, path: req.path, method, headers: req.headers, ...timeouts };
      dispatcher.dispatch(req.close ? { ...o, reset: true } : o, handler);
    } catch (err) {
      done();
      reject(tag(err));
    }
  });
}

/**
 * One 'abort' listener per signal, however many requests wait on it: adding and removing a listener on Node's
 * EventTarget costs microseconds, paid twice per file when every request listened to the run's signal itself.
 * Returns the unsubscribe function.
 */
const abortSubscribers = new WeakMap<AbortSignal, Set<() => void>>();

export function onAbortOf(signal: AbortSignal, fn: () => void): () => void {
  let subscribers = abortSubscribers.get(signal);
  if (subscribers === undefined) {
    const set = new Set<() => void>();
    abortSubscribers.set(signal, set);
    signal.addEventListener(
      'abort',
      () => {
        for (const f of [...set]) f();
        set.clear();
      },
      { once: true },
    );
    subscribers = set;
  }
  const set = subscribers;
  set.add(fn);
  return () => set.delete(fn);
}

/** A headers timeout, as undici's own (a TimeoutError, phase 'headers'). */
function headersTimeout(ms: number): Error {
  return transportError('headers-timeout', `no final answer within ${ms} ms (informational answers only)`);
}

function abortError(reason: unknown): Error {
  const err = transportError(
    'aborted',
    `the request was aborted${reason === undefined ? '' : `: ${String(reason)}`}`,
  );
  err.name = 'AbortError';
  return err;
}

/** undici's error codes as transport failures; the others (a socket's errno, TLS) are read by classifyNetworkError. */
const FAILURES: Readonly<Record<string, TransportFailure>> = {
  UND_ERR_CONNECT_TIMEOUT: 'connect-timeout',
  UND_ERR_HEADERS_TIMEOUT: 'headers-timeout',
  UND_ERR_BODY_TIMEOUT: 'body-timeout',
  UND_ERR_SOCKET: 'closed',
  UND_ERR_CLOSED: 'closed',
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'closed',
  UND_ERR_HEADERS_OVERFLOW: 'protocol',
  UND_ERR_INVALID_ARG: 'request',
  UND_ERR_ABORTED: 'aborted',
};

/** Marks an undici error with its TransportFailure (in place: the error keeps its message, code and cause). */
function tag(err: unknown): unknown {
  if (!(err instanceof Error) || 'failure' in err) return err;
  const code = 'code' in err ? String(err.code) : '';
  const failure =
    FAILURES[code] ?? (err.name === 'HTTPParserError' || code.startsWith('HPE_') ? 'protocol' : undefined);
  if (failure !== undefined) (err as TransportError).failure = failure;
  return err;
}
