import type { Hash } from 'node:crypto';
import { createDigest } from '../hash/algorithms.js';
import { ChecksumMismatchError, DlpoolError, LengthMismatchError, TooLargeError } from '../errors.js';
import type { FileResult } from '../events.js';
import type { Job } from '../jobs/job.js';
import { classifyNetworkError } from '../transport/classify.js';
import { type DownloadState, emitRetry, type FetchContext, newDownloadState } from '../policy/context.js';
import { expectedFor } from '../policy/digest.js';
import { errorInfo } from '../policy/error-info.js';
import type { GetResponse } from '../policy/http.js';
import { pause, request, urlShownAs } from '../policy/request.js';
import { bodyFailure, contentRange, lengthOf, validatorOf } from '../policy/headers.js';
import { mirrorRetryDelay } from '../policy/retry.js';
import { throttle } from '../transport/throttle.js';

// `output: '-'` (-o -): the one download's body written to a stream (the CLI's stdout) instead of a file.
// Bytes written cannot be taken back: a retry continues from the last one written (Range, and If-Range to the
// server that sent them) or the download fails; it never starts over, so nothing is repeated or spliced.

/** The name results and events give the stream. */
export const STREAM_NAME = '-';

/** The server answered a retry with other bytes than the continuation of those already written. */
class NoResumeError extends DlpoolError {
  constructor(why: string, init: { url: string; attempt: number }) {
    super('ERR_DL_NO_RESUME', `cannot continue the body written to the output: ${why}`, init);
  }
}

/** The output stream failed (a closed pipe: EPIPE): the download stops at once. */
class OutputError extends DlpoolError {
  constructor(err: NodeJS.ErrnoException, url: string) {
    super('ERR_DL_FILE', `cannot write to the output: ${err.code ?? err.message}`, {
      url,
      errno: err.code,
      cause: err,
    });
  }
}

/** Downloads `job` into `out`, retrying and resuming as far as the bytes already written allow. Never throws. */
export async function fetchToStream(
  job: Job,
  ctx: FetchContext,
  out: NodeJS.WritableStream,
): Promise<FileResult> {
  const started = performance.now();
  // A wrong checksum is found after the bytes went out: there is no fresh download to make.
  const state = newDownloadState(job, { noSplit: true, checksumRetried: true });
  const want = expectedFor(job, ctx);
  const algorithm = want?.algorithm ?? ctx.opts.hash;
  const sink: Sink = { out, hash: algorithm ? createDigest(algorithm) : undefined, written: 0 };
  const onError = (err: NodeJS.ErrnoException) => {
    sink.failed ??= new OutputError(err, job.displayUrl);
    sink.body?.destroy(sink.failed);
  };
  out.on('error', onError);
  const result = (fields: Partial<FileResult> & Pick<FileResult, 'status'>): FileResult => ({
    id: job.id,
    url: job.displayUrl,
    source: job.source,
    line: job.line,
    path: STREAM_NAME,
    bytes: sink.written,
    transferred: sink.written,
    attempts: state.attempts,
    ms: Math.round(performance.now() - started),
    resumed: state.resumed,
    ...fields,
  });
  try {
    if (ctx.opts.requireChecksum && want === undefined) {
      const message = `no checksum for ${job.rel ?? job.displayUrl} (give it in -c FILE or checksum=); --require-checksum refuses it`;
      return result({ status: 'failed', error: { code: 'ERR_DL_NO_CHECKSUM', message } });
    }
    // After the first byte went out, every attempt goes to the URL that sent it.
    let from = job;
    for (;;) {
      state.attempts++;
      try {
        if (sink.failed) throw sink.failed;
        // (request() asks for the rest from here, with If-Range when the first answer gave a validator.)
        state.part.offset = sink.written;
        const res = await request(from, ctx, state);
        await receive(from, ctx, state, sink, res);
        const mirror = state.shownUrl !== job.displayUrl ? state.shownUrl : undefined;
        if (!sink.hash) return result({ status: 'downloaded', mirror });
        const hex = sink.hash.digest('hex');
        const init = { url: job.displayUrl, attempt: state.attempts };
        if (want && hex !== want.hex) throw new ChecksumMismatchError(algorithm!, want.hex, hex, init);
        return result({
          status: 'downloaded',
          mirror,
          digest: { algorithm: algorithm!, hex, verified: want !== undefined },
        });
      } catch (caught) {
        const err =
          sink.failed ??
          (ctx.signal.aborted
            ? new DlpoolError('ERR_DL_ABORTED', 'interrupted', {
                url: job.displayUrl,
                attempt: state.attempts,
              })
            : classifyNetworkError(caught, {
                url: state.shownUrl ?? job.displayUrl,
                attempt: state.attempts,
                connectTimeoutMs: ctx.opts.connectTimeoutMs,
                timeoutMs: ctx.opts.timeoutMs,
              }));
        const final =
          err === sink.failed ||
          err instanceof NoResumeError ||
          err instanceof ChecksumMismatchError ||
          ctx.signal.aborted;
        const delay = final
          ? 'stop'
          : mirrorRetryDelay(state.attempts, 1 + from.mirrors.length, err, ctx.opts.retry, ctx.random);
        if (delay === 'stop')
          return result({ status: 'failed', error: errorInfo(err, from, state, ctx.opts) });
        // Without a validator, If-Range cannot make the server prove that the rest is of the same file: the
        // bytes written could be spliced with another version's.
        if (sink.written > 0 && state.part.validator === undefined) {
          const why = `${err.message}, and the server sent no ETag or Last-Modified to prove the rest would be of the same file`;
          const refused = new NoResumeError(why, {
            url: state.shownUrl ?? job.displayUrl,
            attempt: state.attempts,
          });
          return result({ status: 'failed', error: errorInfo(refused, from, state, ctx.opts) });
        }
        emitRetry(ctx, job, state.attempts, delay, errorInfo(err, from, state, ctx.opts, true));
        if (sink.written > 0 && from === job) from = pinned(job, state.part.source);
        if (delay > 0) await pause(delay, job, ctx);
      }
    }
  } finally {
    out.removeListener('error', onError);
  }
}

interface Sink {
  out: NodeJS.WritableStream;
  hash: Hash | undefined;
  /** Bytes handed to `out` (they reach it in order, so the next attempt continues from here). */
  written: number;
  /** The body being written (destroyed when `out` fails). */
  body?: GetResponse['body'] | undefined;
  failed?: OutputError | undefined;
}

/** The job with the URL that sent the bytes written so far as its only one. */
function pinned(job: Job, shown: string): Job {
  const src = urlShownAs(job, shown) ?? { url: job.url, shown: job.displayUrl };
  return { ...job, url: src.url, displayUrl: src.shown, mirrors: [] };
}

/** Checks that the answer continues what was written, then writes its body to the sink. */
async function receive(
  job: Job,
  ctx: FetchContext,
  state: DownloadState,
  sink: Sink,
  res: GetResponse,
): Promise<void> {
  const { part } = state;
  const init = { url: state.shownUrl!, attempt: state.attempts };
  const dump = () => res.body.dump().catch(() => {});
  if (sink.written > 0) {
    const range = res.statusCode === 206 ? contentRange(res) : undefined;
    if (!range || range.start !== sink.written || (part.total !== undefined && range.total !== part.total)) {
      await dump();
      const why =
        res.statusCode === 206
          ? 'its Content-Range does not start where the output stopped'
          : res.statusCode === 416
            ? 'the range is not satisfiable (the file changed)'
            : `it sent the whole file again (${res.statusCode}), ${sink.written} bytes are already written`;
      throw new NoResumeError(why, init);
    }
    state.resumed = true;
  } else {
    if (res.statusCode !== 200) {
      await dump();
      throw new DlpoolError(
        'ERR_DL_LENGTH_MISMATCH',
        `unexpected ${res.statusCode} answer to a full request`,
        init,
      );
    }
    part.source = state.shownUrl!;
    part.validator = validatorOf(res);
    part.total = lengthOf(res);
  }
  const total = part.total;
  const limit = ctx.opts.maxSizeBytes;
  if (limit !== undefined && total !== undefined && total > limit) {
    res.body.destroy();
    throw new TooLargeError(limit, `Content-Length ${total}`, init);
  }
  ctx.emit({
    type: 'start',
    id: job.id,
    url: job.displayUrl,
    path: STREAM_NAME,
    attempt: state.attempts,
    total,
    offset: sink.written,
  });
  await write(job, ctx, sink, res, total, init);
  if (total !== undefined && sink.written !== total) throw new LengthMismatchError(total, sink.written, init);
}

/** The body into the sink, paused while the output holds more than it takes. */
function write(
  job: Job,
  ctx: FetchContext,
  sink: Sink,
  res: GetResponse,
  total: number | undefined,
  init: { url: string; attempt: number },
): Promise<void> {
  const { body } = res;
  const limit = ctx.opts.maxSizeBytes;
  const progressDue = throttle(ctx.opts.progressIntervalMs);
  const progress = () =>
    ctx.emit({
      type: 'progress',
      id: job.id,
      url: job.displayUrl,
      path: STREAM_NAME,
      transferred: sink.written,
      total,
    });
  sink.body = body;
  return new Promise<void>((resolve, reject) => {
    const resume = () => body.resume();
    const done = (err?: Error) => {
      sink.body = undefined;
      sink.out.removeListener('drain', resume);
      if (err) reject(err);
      else resolve();
    };
    sink.out.on('drain', resume);
    body.on('data', (chunk: Buffer) => {
      if (sink.failed) return;
      if (limit !== undefined && sink.written + chunk.length > limit) {
        body.destroy(
          new TooLargeError(limit, `the body (${sink.written + chunk.length} bytes so far)`, init),
        );
        return;
      }
      sink.written += chunk.length;
      sink.hash?.update(chunk);
      if (!sink.out.write(chunk)) body.pause();
      if (progressDue()) progress();
    });
    body.once('end', () => {
      progress();
      done();
    });
    body.once('close', () => {
      if (!body.readableEnded) done(sink.failed ?? bodyFailure(body));
    });
  });
}
