import { Redis } from 'ioredis';
import { DlpoolError } from '../errors.js';
import type { RedisTarget } from './redis-url.js';

export { DEFAULT_REDIS_TIMEOUT_MS, type RedisTarget, redisTarget } from './redis-url.js';

const AUTH = /^(WRONGPASS|NOAUTH|ERR (invalid password|AUTH|Client sent AUTH))/;
const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'no answer',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

/**
 * Why Redis cannot be used, in a few words. What Redis said about a password is not repeated (the words are
 * ours), and the password is cut out of anything else it said.
 */
export function redisReason(err: unknown, target: RedisTarget): string {
  if (err === undefined) return `no answer within ${target.timeoutMs / 1000} s`;
  const e = err as NodeJS.ErrnoException;
  const known = e.code ? REASONS[e.code] : undefined;
  if (known) return known;
  const message = (e.message ?? String(err)).split('\n')[0]!.slice(0, 200);
  if (AUTH.test(message)) {
    return message.startsWith('NOAUTH')
      ? 'authentication failed (NOAUTH: Redis wants a password; give it in the URL)'
      : `authentication failed (${message.split(' ')[0]}: wrong user name or password)`;
  }
  return target.secret ? message.split(target.secret).join('***') : message;
}

function failure(err: unknown, target: RedisTarget): DlpoolError {
  const reason = redisReason(err, target);
  const verb = err === undefined || (err as NodeJS.ErrnoException).code !== undefined ? 'reach' : 'use';
  return new DlpoolError('ERR_DL_REDIS', `cannot ${verb} Redis at ${target.shown}: ${reason}`);
}

/**
 * A connected ioredis client, or ERR_DL_REDIS once `target.timeoutMs` has passed without Redis answering (it is
 * tried again every 250 ms until then) or at once when it refuses the password; ERR_DL_ABORTED when `signal`
 * ends the wait. Every error is caught (ioredis and BullMQ print a stack for errors nobody listens to).
 *
 * `persistent` (a worker): once connected, a lost connection is retried for ever (every second, then every 5
 * s), and commands wait for it; otherwise (one command, then exit) a lost connection fails what is in flight.
 */
export async function openRedis(
  target: RedisTarget,
  opts: { persistent?: boolean; signal?: AbortSignal | undefined } = {},
): Promise<Redis> {
  let ready = false;
  let givenUp = false;
  let last: unknown;
  const client = new Redis(target.url, {
    lazyConnect: true,
    maxRetriesPerRequest: null,
    connectTimeout: target.timeoutMs,
    // A socket that never connected holds the process this long after disconnect() (ioredis waits for a
    // 'close' it already had): 2 s by default, after every failed command.
    disconnectTimeout: 200,
    retryStrategy: (times) =>
      givenUp ? null : ready ? (opts.persistent ? Math.min(1000 * times, 5000) : null) : 250,
  });
  client.on('error', (err) => (last = err));
  await new Promise<void>((resolve, reject) => {
    const done = (err?: DlpoolError) => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('error', onError);
      opts.signal?.removeEventListener('abort', onAbort);
      if (!err) return resolve();
      givenUp = true;
      client.disconnect();
      reject(err);
    };
    const onReady = () => done();
    const onError = (err: Error) => {
      if (AUTH.test(err.message)) done(failure(err, target));
    };
    const onAbort = () =>
      done(new DlpoolError('ERR_DL_ABORTED', `stopped while connecting to ${target.shown}`));
    const timer = setTimeout(() => done(failure(last, target)), target.timeoutMs);
    client.on('ready', onReady);
    client.on('error', onError);
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    // (Its promise fails with the first attempt; the retries go on and 'ready' says when one worked.)
    client.connect().catch(() => {});
  });
  ready = true;
  return client;
}

/**
 * Calls `onLost` once per outage of a connected client (the first time it closes after being ready), with the
 * reason; the next outage is said again once it was back. Returns a function that stops listening.
 */
export function watchOutages(
  client: Redis,
  target: RedisTarget,
  onLost: (reason: string) => void,
): () => void {
  let up = true;
  let last: unknown;
  const onError = (err: unknown) => (last = err);
  const onClose = () => {
    if (!up) return;
    up = false;
    onLost(last === undefined ? 'connection closed' : redisReason(last, target));
  };
  const onReady = () => {
    up = true;
    last = undefined;
  };
  client.on('error', onError);
  client.on('close', onClose);
  client.on('ready', onReady);
  return () => {
    client.off('error', onError);
    client.off('close', onClose);
    client.off('ready', onReady);
  };
}

/**
 * Runs `fn` on a client connected to `target` (within its timeout), and disconnects. Whatever goes wrong on the
 * way (the connection lost, an answer such as WRONGTYPE from keys someone else wrote) is ERR_DL_REDIS in one
 * line, never a stack.
 */
export async function withRedis<T>(target: RedisTarget, fn: (client: Redis) => Promise<T>): Promise<T> {
  const client = await openRedis(target);
  try {
    return await fn(client);
  } catch (err) {
    if (err instanceof DlpoolError) throw err;
    throw new DlpoolError('ERR_DL_REDIS', `Redis at ${target.shown} failed: ${redisReason(err, target)}`, {
      cause: err,
    });
  } finally {
    client.disconnect();
  }
}
