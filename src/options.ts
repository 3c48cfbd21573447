import path from 'node:path';
import { UsageError } from './errors.js';
import { proxyFromEnv, proxyOption, type ProxySettings } from './transport/proxy.js';
import { netrcChoice } from './credentials/netrc.js';
import { cookieChoice } from './credentials/cookie-access.js';
import { hashAlgorithm, unknownHashText } from './hash/algorithms.js';
import { HASH_POOL_KINDS, type HashPoolKind } from './hash/hasher.js';
import { outputFile } from './jobs/one-output.js';
import {
  bool,
  HEADER_VALUE_BAD,
  inRangeOr,
  int,
  MAX_DELAY_MS,
  ms,
  parseHeaders,
  rate,
} from './option-values.js';
import {
  DEFAULTS,
  DOWNLOAD_OPTION_TABLE as TABLE,
  DOWNLOAD_RANGES as R,
  type DownloadOptions,
  type EngineMode,
  type NormalizedOptions,
  type OptionRule,
  type RetryPolicy,
  type RuledKey,
  type RuledOptions,
  type ShardOptions,
} from './download-options.js';

export { MAX_DELAY_MS, parseHeaders };

export {
  DEFAULT_WORKERS,
  DEFAULTS,
  DOWNLOAD_OPTION_TABLE,
  DOWNLOAD_RANGES,
  ENGINE_MODES,
} from './download-options.js';

export { HASH_POOL_KINDS, type HashPoolKind };

/** Lines per shard unless --shard-size says otherwise. */
export const DEFAULT_SHARD_SIZE = DEFAULTS.shardSize;

export type { ProxySettings } from './transport/proxy.js';

export type { DownloadOptions, EngineMode, NormalizedOptions, RetryPolicy, ShardOptions };

const KNOWN_KEYS: ReadonlySet<string> = new Set(Object.keys(TABLE));

/** The options whose row alone checks them and gives their default. */
const RULED = (Object.keys(TABLE) as (keyof typeof TABLE)[]).filter(
  (k): k is RuledKey => TABLE[k].rule !== 'own',
);

/** An option checked by its row's rule (an error starting with its name), or its row's default. */
function ruled(key: RuledKey, value: unknown): unknown {
  const row: OptionRule = TABLE[key];
  if (value === undefined) return row.default;
  switch (row.rule) {
    case 'flag':
      return bool(key, value, false);
    case 'number':
      return inRangeOr(key, value, 0, row.range!);
    case 'choice': {
      const choices = row.choices!;
      if (!choices.includes(value as string)) {
        const or = `${choices.slice(0, -1).join(', ')} or ${choices.at(-1)}`;
        throw new UsageError(`${key}: expected ${or}, got ${String(value)}`);
      }
      return value;
    }
    default:
      if (typeof value !== 'string' || value === '') throw new UsageError(`${key}: expected a file path`);
      return value;
  }
}

function shardOptions(options: DownloadOptions): ShardOptions | undefined {
  if (options.shard === undefined && options.shardSize === undefined) return undefined;
  const size = int('shardSize', options.shardSize, DEFAULTS.shardSize, R.shardSize);
  const { index, count, start, names } = options.shard ?? { index: 0, count: 1 };
  if (!Number.isInteger(index) || !Number.isInteger(count) || count < 1 || index < 0 || index >= count) {
    throw new UsageError(`shard: expected index 0 <= I < count N, got ${String(index)}/${String(count)}`);
  }
  if (start === undefined) {
    // Names settled for lines of one shard mean nothing to a run that reads the whole list.
    if (names !== undefined) throw new UsageError('shard.names: only with shard.start (a shard read alone)');
    return { size, index, count };
  }
  if (!Number.isSafeInteger(start.offset) || start.offset < 0 || start.line !== index * size + 1) {
    throw new UsageError(
      `shard.start: expected a byte offset >= 0 and line ${index * size + 1} (shard ${index} of ${size} lines), ` +
        `got ${String(start.offset)} and ${String(start.line)}`,
    );
  }
  const settled = new Map<number, string>();
  for (const [line, name] of Object.entries(names ?? {})) {
    // (The name itself is checked with the entry, whose line it then fails: see settledName.)
    if (!/^[1-9][0-9]*$/.test(line)) throw new UsageError(`shard.names: '${line}' is not a line number`);
    if (typeof name !== 'string' || name === '')
      throw new UsageError(`shard.names: line ${line} has no name`);
    settled.set(Number(line), name);
  }
  if (start.bytes !== undefined && !(start.bytes instanceof Uint8Array)) {
    throw new UsageError('shard.start.bytes: expected a Uint8Array (the shard of the list, as read)');
  }
  const at = { offset: start.offset, line: start.line, ...(start.bytes ? { bytes: start.bytes } : {}) };
  return { size, index, count, start: at, names: settled };
}

/** The one place options are checked and defaults applied. Errors start with the option's name. */
export function normalizeOptions(options: DownloadOptions = {}): NormalizedOptions {
  for (const key of Object.keys(options)) {
    if (!KNOWN_KEYS.has(key)) throw new UsageError(`${key}: unknown option`);
  }
  const given = options as Record<string, unknown>;
  const o = Object.fromEntries(RULED.map((k) => [k, ruled(k, given[k])])) as RuledOptions;
  const perHost = int('perHost', options.perHost, o.concurrency, R.perHost);
  const retryIn = options.retry ?? {};
  for (const key of Object.keys(retryIn)) {
    if (!(key in DEFAULTS.retry)) throw new UsageError(`retry.${key}: unknown option`);
  }
  const retry: RetryPolicy = {
    retries: int('retries', options.retries ?? retryIn.retries, DEFAULTS.retries, R.retries),
    baseDelayMs: ms('retry.baseDelayMs', retryIn.baseDelayMs, DEFAULTS.retry.baseDelayMs, 0),
    maxDelayMs: ms('retry.maxDelayMs', retryIn.maxDelayMs, DEFAULTS.retry.maxDelayMs, 0),
    maxRetryAfterMs: ms('retry.maxRetryAfterMs', retryIn.maxRetryAfterMs, DEFAULTS.retry.maxRetryAfterMs, 0),
  };
  if (options.dir !== undefined && (typeof options.dir !== 'string' || options.dir === '')) {
    throw new UsageError('dir: expected a directory path');
  }
  const userAgent = options.userAgent ?? DEFAULTS.userAgent;
  if (typeof userAgent !== 'string' || HEADER_VALUE_BAD.test(userAgent)) {
    throw new UsageError(
      'userAgent: expected one line of text, without control characters or characters past U+00FF',
    );
  }
  let proxy: ProxySettings | undefined;
  const proxyIn = options.proxy ?? DEFAULTS.proxy;
  if (proxyIn === 'env') proxy = proxyFromEnv(options.env ?? {});
  else if (proxyIn === 'none') proxy = undefined;
  else if (typeof proxyIn === 'object' && proxyIn !== null) proxy = proxyOption(proxyIn);
  else throw new UsageError(`proxy: expected 'env', 'none' or an object, got ${String(proxyIn)}`);
  if (options.onEvent !== undefined && typeof options.onEvent !== 'function') {
    throw new UsageError('onEvent: expected a function');
  }
  // A manifest needs digests: sha256 unless another algorithm was asked for.
  const shards = shardOptions(options);
  const hashIn =
    options.hash ?? (options.manifest !== undefined || shards !== undefined ? 'sha256' : undefined);
  const hash = typeof hashIn === 'string' ? hashAlgorithm(hashIn)?.name : undefined;
  if (hashIn !== undefined && hash === undefined) {
    throw new UsageError(`hash: ${unknownHashText(options.hash)}`);
  }
  // wget refuses -N with -nc; here the contradiction is the other one: every file anew, or only what changed.
  if (o.timestamping && o.overwrite) {
    throw new UsageError(
      'timestamping: not with overwrite (one fetches only what changed on the server, the other everything)',
    );
  }
  const dir = path.resolve(options.dir ?? DEFAULTS.dir);
  const output = outputFile(dir, options.output, options.stdout);
  return {
    ...o,
    sources: options.sources ?? [],
    entries: options.entries,
    stdin: options.stdin,
    dir: typeof output === 'object' ? output.dir : dir,
    output,
    stdout: options.stdout,
    perHost: Math.min(perHost, o.concurrency),
    maxConnections: Infinity,
    headers: parseHeaders(options.headers),
    userAgent,
    netrc: netrcChoice(options.netrc, options.netrcFile, options.env),
    cookies: cookieChoice(options.cookie, options.cookieJar, options.stdout, options.output),
    // 0: no limit, as curl --limit-rate 0.
    limitRateBytes: int('limitRateBytes', options.limitRateBytes, 0, R.limitRateBytes) || undefined,
    hostRate: rate('hostRate', options.hostRate),
    shards,
    retry,
    hash,
    proxy,
    transport: options.transport,
    signal: options.signal,
    onEvent: options.onEvent ?? (() => {}),
  };
}
