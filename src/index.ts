export { download } from './download.js';
export type { Engine } from './engine/engine.js';
export type { RunClock } from './policy/context.js';
export { createHasher, type Hasher, type HashPoolKind } from './hash/hasher.js';
export { type HashFileResult, type HashFilesOptions, hashFiles } from './verify/hash-files.js';
export { type VerifyOptions, type VerifyResult, type VerifySummary, verify } from './verify/verify.js';
export {
  DlpoolError,
  ERROR_CODES,
  type ErrorCode,
  HttpStatusError,
  LengthMismatchError,
  TimeoutError,
  UnsafeNameError,
  UsageError,
} from './errors.js';
export type * from './events.js';
export {
  DEFAULT_WORKERS,
  type DownloadOptions,
  type NormalizedOptions,
  normalizeOptions,
} from './options.js';
export { type DownloadSummary, EXIT, exitCodeFor } from './report/summary.js';
export { createServer, type RunningServer, type ServeOptions } from './server/index.js';
export type { ListEntry } from './sources/types.js';
export * from './transport/public.js';
