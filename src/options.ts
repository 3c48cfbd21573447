import os from 'node:os';
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
  DOWNLOAD_RANGES as R,
  HEADER_VALUE_BAD,
  int,
  MAX_DELAY_MS,
  type NumberRange,
  ms,
  parseHeaders,
  rate,
} from './option-values.js';
import { VERSION } from './version.js';
import type {
  DownloadOptions,
  EngineMode,
  NormalizedOptions,
  RetryPolicy,
  ShardOptions,
} from './download-options.js';

export { MAX_DELAY_MS, parseHeaders };

/** How downloads run: all on this event loop, or spread over worker threads (--mode). */
export const ENGINE_MODES: readonly string[] = ['async', 'threads'];

/** Half the cores, at least one: the default size of every worker pool. Computed here and nowhere else. */
export const DEFAULT_WORKERS = Math.max(1, Math.floor(os.availableParallelism() / 2));

export { HASH_POOL_KINDS, type HashPoolKind };

/** Lines per shard unless --shard-size says otherwise. */
export const DEFAULT_SHARD_SIZE = 10_000;

export type { ProxySettings } from './transport/proxy.js';

export type { DownloadOptions, EngineMode, NormalizedOptions, RetryPolicy, ShardOptions };

/** Every key of DOWNLOAD_RANGES is an option of download(). */
R satisfies Partial<Record<keyof DownloadOptions, NumberRange>>;

export const DEFAULTS = {
  dir: '.',
  concurrency: 16,
  userAgent: `dlpool/${VERSION}`,
  maxRedirects: 10,
  allowInsecureRedirects: false,
  insecure: false,
  http2: false,
  connectTimeoutMs: 10_000,
  timeoutMs: 30_000,
  speedLimitBytes: 100,
  speedTimeMs: 60_000,
  retry: { retries: 5, baseDelayMs: 500, maxDelayMs: 30_000, maxRetryAfterMs: 300_000 } satisfies RetryPolicy,
  overwrite: false,
  timestamping: false,
  remoteTime: true,
  spider: false,
  requireChecksum: false,
  contentDisposition: false,
  hashPool: 'inline',
  mode: 'async',
  writeHighWaterMark: 1024 * 1024,
  progressIntervalMs: 100,
  split: 1,
  minSplitSizeBytes: 16 * 1024 * 1024,
  keepResults: true,
} as const;

/**
 * Every option `download()` takes, checked against DownloadOptions by the compiler (a key added there and not
 * here, or the reverse, does not build): anything else is a usage error, not silently ignored.
 */
const KNOWN: Record<keyof DownloadOptions, true> = {
  sources: true,
  entries: true,
  stdin: true,
  env: true,
  dir: true,
  output: true,
  stdout: true,
  concurrency: true,
  perHost: true,
  headers: true,
  userAgent: true,
  maxRedirects: true,
  allowInsecureRedirects: true,
  caCertificate: true,
  netrc: true,
  netrcFile: true,
  cookie: true,
  cookieJar: true,
  insecure: true,
  http2: true,
  connectTimeoutMs: true,
  timeoutMs: true,
  speedLimitBytes: true,
  limitRateBytes: true,
  hostRate: true,
  shard: true,
  shardSize: true,
  speedTimeMs: true,
  retries: true,
  retry: true,
  overwrite: true,
  timestamping: true,
  remoteTime: true,
  spider: true,
  requireChecksum: true,
  contentDisposition: true,
  mode: true,
  hash: true,
  hashPool: true,
  workers: true,
  checksums: true,
  manifest: true,
  proxy: true,
  maxSizeBytes: true,
  split: true,
  minSplitSizeBytes: true,
  writeHighWaterMark: true,
  verbose: true,
  progressIntervalMs: true,
  keepResults: true,
  transport: true,
  signal: true,
  onEvent: true,
};
const KNOWN_KEYS: ReadonlySet<string> = new Set(Object.keys(KNOWN));

function shardOptions(options: DownloadOptions): ShardOptions | undefined {
  if (options.shard === undefined && options.shardSize === undefined) return undefined;
  const size = int('shardSize', options.shardSize, DEFAULT_SHARD_SIZE, R.shardSize);
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
  const concurrency = int('concurrency', options.concurrency, DEFAULTS.concurrency, R.concurrency);
  const perHost = int('perHost', options.perHost, concurrency, R.perHost);
  const mode = options.mode ?? DEFAULTS.mode;
  if (!ENGINE_MODES.includes(mode)) {
    throw new UsageError(`mode: expected ${ENGINE_MODES.join(' or ')}, got ${String(mode)}`);
  }
  const retryIn = options.retry ?? {};
  for (const key of Object.keys(retryIn)) {
    if (!(key in DEFAULTS.retry)) throw new UsageError(`retry.${key}: unknown option`);
  }
  const retry: RetryPolicy = {
    retries: int('retries', options.retries ?? retryIn.retries, DEFAULTS.retry.retries, R.retries),
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
  const proxyIn = options.proxy ?? 'env';
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
  const overwrite = bool('overwrite', options.overwrite, DEFAULTS.overwrite);
  const timestamping = bool('timestamping', options.timestamping, DEFAULTS.timestamping);
  // wget refuses -N with -nc; here the contradiction is the other one: every file anew, or only what changed.
  if (timestamping && overwrite) {
    throw new UsageError(
      'timestamping: not with overwrite (one fetches only what changed on the server, the other everything)',
    );
  }
  const hashPool = options.hashPool ?? DEFAULTS.hashPool;
  if (!(HASH_POOL_KINDS as readonly string[]).includes(hashPool)) {
    throw new UsageError(`hashPool: expected ${HASH_POOL_KINDS.join(', ')}, got ${String(hashPool)}`);
  }
  for (const key of ['checksums', 'manifest', 'caCertificate'] as const) {
    const v = options[key];
    if (v !== undefined && (typeof v !== 'string' || v === ''))
      throw new UsageError(`${key}: expected a file path`);
  }
  const dir = path.resolve(options.dir ?? DEFAULTS.dir);
  const output = outputFile(dir, options.output, options.stdout);
  return {
    sources: options.sources ?? [],
    entries: options.entries,
    stdin: options.stdin,
    dir: typeof output === 'object' ? output.dir : dir,
    output,
    stdout: options.stdout,
    concurrency,
    perHost: Math.min(perHost, concurrency),
    maxConnections: Infinity,
    headers: parseHeaders(options.headers),
    userAgent,
    maxRedirects: int('maxRedirects', options.maxRedirects, DEFAULTS.maxRedirects, R.maxRedirects),
    allowInsecureRedirects: bool(
      'allowInsecureRedirects',
      options.allowInsecureRedirects,
      DEFAULTS.allowInsecureRedirects,
    ),
    caCertificate: options.caCertificate,
    insecure: bool('insecure', options.insecure, DEFAULTS.insecure),
    http2: bool('http2', options.http2, DEFAULTS.http2),
    netrc: netrcChoice(options.netrc, options.netrcFile, options.env),
    cookies: cookieChoice(options.cookie, options.cookieJar),
    connectTimeoutMs: int(
      'connectTimeoutMs',
      options.connectTimeoutMs,
      DEFAULTS.connectTimeoutMs,
      R.connectTimeoutMs,
    ),
    timeoutMs: int('timeoutMs', options.timeoutMs, DEFAULTS.timeoutMs, R.timeoutMs),
    speedLimitBytes: int(
      'speedLimitBytes',
      options.speedLimitBytes,
      DEFAULTS.speedLimitBytes,
      R.speedLimitBytes,
    ),
    limitRateBytes:
      // 0: no limit, as curl --limit-rate 0.
      int('limitRateBytes', options.limitRateBytes, 0, R.limitRateBytes) || undefined,
    hostRate: rate('hostRate', options.hostRate),
    shards,
    speedTimeMs: int('speedTimeMs', options.speedTimeMs, DEFAULTS.speedTimeMs, R.speedTimeMs),
    retry,
    overwrite,
    timestamping,
    remoteTime: bool('remoteTime', options.remoteTime, DEFAULTS.remoteTime),
    spider: bool('spider', options.spider, DEFAULTS.spider),
    requireChecksum: bool('requireChecksum', options.requireChecksum, DEFAULTS.requireChecksum),
    contentDisposition: bool('contentDisposition', options.contentDisposition, DEFAULTS.contentDisposition),
    hash,
    hashPool,
    workers: int('workers', options.workers, DEFAULT_WORKERS, R.workers),
    checksums: options.checksums,
    manifest: options.manifest,
    mode,
    proxy,
    maxSizeBytes:
      options.maxSizeBytes === undefined
        ? undefined
        : int('maxSizeBytes', options.maxSizeBytes, 0, R.maxSizeBytes),
    split: int('split', options.split, DEFAULTS.split, R.split),
    minSplitSizeBytes: int(
      'minSplitSizeBytes',
      options.minSplitSizeBytes,
      DEFAULTS.minSplitSizeBytes,
      R.minSplitSizeBytes,
    ),
    writeHighWaterMark: int(
      'writeHighWaterMark',
      options.writeHighWaterMark,
      DEFAULTS.writeHighWaterMark,
      1024,
    ),
    verbose: bool('verbose', options.verbose, false),
    progressIntervalMs: ms('progressIntervalMs', options.progressIntervalMs, DEFAULTS.progressIntervalMs, 0),
    keepResults: bool('keepResults', options.keepResults, DEFAULTS.keepResults),
    transport: options.transport,
    signal: options.signal,
    onEvent: options.onEvent ?? (() => {}),
  };
}
