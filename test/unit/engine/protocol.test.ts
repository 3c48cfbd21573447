import { describe, expect, it } from 'vitest';
import { DlpoolError } from '../../../src/errors.js';
import { fromWireError, fromWireJob, toWireError, toWireJob } from '../../../src/engine/protocol.js';
import type { Job } from '../../../src/jobs/job.js';

describe('what crosses to and from worker threads', () => {
  it('errors keep their dlpool code and errno; others become plain errors with the errno as code', () => {
    const coded = fromWireError(
      toWireError(new DlpoolError('ERR_DL_FILE', 'cannot write x', { errno: 'ENOSPC' })),
    );
    expect(coded).toBeInstanceOf(DlpoolError);
    expect(coded).toMatchObject({ code: 'ERR_DL_FILE', message: 'cannot write x', errno: 'ENOSPC' });
    const sys = fromWireError(toWireError(Object.assign(new Error('boom'), { code: 'EACCES' })));
    expect(sys).not.toBeInstanceOf(DlpoolError);
    expect(sys).toMatchObject({ message: 'boom', code: 'EACCES' });
    // An unknown code (a newer worker?) is not trusted as a dlpool code.
    const odd = fromWireError({ message: 'x', code: 'ERR_DL_NOPE' as never, errno: undefined });
    expect(odd).not.toBeInstanceOf(DlpoolError);
  });

  it('a job survives structured cloning: URLs as hrefs, everything else as it was', () => {
    const job: Job = {
      id: 7,
      url: new URL('http://user:pw@h:8080/a%20b.bin?x=1'),
      displayUrl: 'http://h:8080/a%20b.bin?x=1',
      mirrors: [new URL('http://m/a.bin')],
      source: 'list.txt',
      line: 3,
      entry: {
        kind: 'entry',
        url: 'http://user:pw@h:8080/a%20b.bin?x=1',
        source: 'list.txt',
        line: 3,
        options: {},
      },
      rel: 'a b.bin',
      host: 'h:8080',
      hostAgain: true,
    };
    const back = fromWireJob(structuredClone(toWireJob(job)));
    expect(back.url.href).toBe(job.url.href);
    expect(back.mirrors.map((m) => m.href)).toEqual(['http://m/a.bin']);
    expect({ ...back, url: undefined, mirrors: undefined }).toEqual({
      ...job,
      url: undefined,
      mirrors: undefined,
    });
  });
});
