/**
 * What queue mode keeps in Redis, and the checks everything read back from there passes: whoever can write to
 * the Redis can write any of it, so a job's data and a finished shard's record are input, checked field by field
 * as options are, never trusted because dlpool wrote them once.
 */

/** How long a shard stays taken without its worker renewing the lock (a dead worker's shard waits this long). */
export const DEFAULT_LOCK_MS = 30_000;

/** One shard of a list, as a job: where the list is and which of its bytes are the shard, never its URLs. */
export interface ShardJob {
  /** The list file, as the workers reach it (a shared path), under the worker's --list-root. */
  list: string;
  /** sha256 of the list's bytes (names the list in job ids and result fields). */
  listHash: string;
  shard: number;
  /** Shards in the list, and lines per shard. */
  of: number;
  size: number;
  /** Where the shard is in the list: its bytes offset .. end, its first line; the worker reads only these. */
  offset: number;
  end: number;
  firstLine: number;
  /** sha256 of the shard's bytes: a worker refuses a list that changed since it was added. */
  bytes: string;
  /** Names settled at `queue add` for lines whose name an earlier line took (see planShards). */
  names?: Record<number, string>;
}

/** What a finished shard returns (kept in Redis with the job): enough to merge without the workers' disks. */
export interface ShardResult {
  shard: number;
  count: number;
  downloaded: number;
  skipped: number;
  failed: { url: string; line: number; code: string; message: string }[];
  /** The shard's manifest lines (sha256sum format, paths relative to the worker's --dir). */
  sums: string;
  bytes: number;
}

export interface ShardSummary {
  list: string;
  shard: number;
  count: number;
  failed: number;
  bytes: number;
  /** Times its job was handed to another worker after the one holding it stopped (BullMQ's stalled counter). */
  redelivered: number;
}

/**
 * A shard's bytes are read into memory, checked, then parsed: at most this many (a 10,000-line shard of 200-byte
 * URLs is 2 MB). `queue add` refuses a plan with a bigger shard, a worker a job asking for one.
 */
export const MAX_SHARD_BYTES = 256 * 1024 * 1024;
/** Longest list path and settled name taken from a job (PATH_MAX). */
const MAX_PATH = 4096;
const HEX64 = /^[0-9a-f]{64}$/;
const JOB_KEYS: ReadonlySet<string> = new Set([
  'list',
  'listHash',
  'shard',
  'of',
  'size',
  'offset',
  'end',
  'firstLine',
  'bytes',
  'names',
]);

/** Why a record from Redis is refused; its message starts with the field's name and never quotes the value. */
export class BadRecord extends Error {}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function whole(r: Record<string, unknown>, key: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = r[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new BadRecord(`${key}: expected a whole number from ${min} to ${max}`);
  }
  return v;
}

function text(r: Record<string, unknown>, key: string, max: number): string {
  const v = r[key];
  if (typeof v !== 'string' || v === '' || v.length > max || v.includes('\0')) {
    throw new BadRecord(`${key}: expected a text of 1 to ${max} characters without NUL`);
  }
  return v;
}

function hex64(r: Record<string, unknown>, key: string): string {
  const v = r[key];
  if (typeof v !== 'string' || !HEX64.test(v))
    throw new BadRecord(`${key}: expected 64 lowercase hex digits`);
  return v;
}

/**
 * A job's data as a ShardJob, or BadRecord naming the first field that is not one `queue add` writes: every
 * field present with its type and range, `offset < end` within MAX_SHARD_BYTES, `shard < of`, `firstLine` the
 * shard's first line, `names` an object of the shard's line numbers to names, no other key.
 */
export function checkShardJob(data: unknown): ShardJob {
  if (!isObject(data)) throw new BadRecord('job data: expected an object');
  for (const key of Object.keys(data))
    if (!JOB_KEYS.has(key)) throw new BadRecord(`${key}: not a field of a shard job`);
  const list = text(data, 'list', MAX_PATH);
  const listHash = hex64(data, 'listHash');
  const of = whole(data, 'of', 1);
  const shard = whole(data, 'shard', 0, of - 1);
  const size = whole(data, 'size', 1);
  const offset = whole(data, 'offset', 0);
  const end = whole(data, 'end', offset + 1, offset + MAX_SHARD_BYTES);
  const firstLine = whole(data, 'firstLine', shard * size + 1, shard * size + 1);
  const bytes = hex64(data, 'bytes');
  const job: ShardJob = { list, listHash, shard, of, size, offset, end, firstLine, bytes };
  if (data.names !== undefined) job.names = checkNames(data.names, firstLine, size);
  return job;
}

function checkNames(v: unknown, firstLine: number, size: number): Record<number, string> {
  if (!isObject(v)) throw new BadRecord('names: expected an object of line numbers to names');
  const names: Record<number, string> = {};
  for (const [key, name] of Object.entries(v)) {
    const line = /^[1-9]\d{0,15}$/.test(key) ? Number(key) : NaN;
    if (!(line >= firstLine && line < firstLine + size)) {
      throw new BadRecord(
        `names: expected line numbers of the shard (${firstLine} to ${firstLine + size - 1})`,
      );
    }
    if (typeof name !== 'string' || name === '' || name.length > MAX_PATH || name.includes('\0')) {
      throw new BadRecord(`names: line ${line}: expected a name of 1 to ${MAX_PATH} characters without NUL`);
    }
    names[line] = name;
  }
  return names;
}

/** A manifest line as a worker writes it: coreutils (`HEX  name`, `\` first when escaped) or a BSD tag line. */
const SUMS_LINE =
  /^(\\?[0-9a-f]{8,128} [ *][^\x00-\x1f\x7f-\x9f]+|[A-Z0-9-]+ \([^\x00-\x1f\x7f-\x9f]+\) = [0-9a-f]{8,128})$/;
const ERROR_CODE = /^ERR_DL_[A-Z_]{1,40}$/;

/** A finished shard's record from Redis as a ShardResult, or BadRecord: numbers, texts and manifest lines. */
export function checkShardResult(data: unknown): ShardResult {
  if (!isObject(data)) throw new BadRecord('result: expected an object');
  const failed = data.failed;
  if (!Array.isArray(failed)) throw new BadRecord('failed: expected a list');
  const sums = data.sums;
  if (typeof sums !== 'string' || (sums !== '' && !sums.endsWith('\n')))
    throw new BadRecord('sums: expected manifest lines');
  const bad = sums
    .slice(0, -1)
    .split('\n')
    .findIndex((l) => sums !== '' && !SUMS_LINE.test(l));
  if (bad >= 0) throw new BadRecord(`sums: line ${bad + 1} is not a manifest line`);
  return {
    shard: whole(data, 'shard', 0),
    count: whole(data, 'count', 0),
    downloaded: whole(data, 'downloaded', 0),
    skipped: whole(data, 'skipped', 0),
    failed: failed.map((f: unknown) => {
      if (!isObject(f)) throw new BadRecord('failed: expected objects');
      const code = f.code;
      if (typeof code !== 'string' || !ERROR_CODE.test(code))
        throw new BadRecord('failed: code: expected ERR_DL_*');
      return {
        url: text(f, 'url', 65_536),
        line: whole(f, 'line', 1),
        code,
        message: text(f, 'message', 65_536),
      };
    }),
    sums,
    bytes: whole(data, 'bytes', 0),
  };
}

/** A finished shard's totals from Redis as a ShardSummary, or BadRecord. */
export function checkShardSummary(data: unknown): ShardSummary {
  if (!isObject(data)) throw new BadRecord('summary: expected an object');
  return {
    list: text(data, 'list', MAX_PATH),
    shard: whole(data, 'shard', 0),
    count: whole(data, 'count', 0),
    failed: whole(data, 'failed', 0),
    bytes: whole(data, 'bytes', 0),
    redelivered: whole(data, 'redelivered', 0),
  };
}

/** JSON text from Redis, parsed and checked; BadRecord when it is not JSON. */
export function parseRecord<T>(json: string, check: (data: unknown) => T): T {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    throw new BadRecord('not JSON');
  }
  return check(data);
}
