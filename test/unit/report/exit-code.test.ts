import { describe, expect, it } from 'vitest';
import { EXIT, exitCodeFor } from '../../../src/report/summary.js';

describe('exitCodeFor', () => {
  it('follows the README table: 0 all fine, 1 a failure or a run error, 130/143 interrupted', () => {
    expect(exitCodeFor({ failed: 0, interrupted: undefined })).toBe(EXIT.OK);
    expect(exitCodeFor({ failed: 2, interrupted: undefined })).toBe(EXIT.FAILED);
    expect(exitCodeFor({ failed: 0, interrupted: undefined, errors: [{}] })).toBe(EXIT.FAILED);
    expect(exitCodeFor({ failed: 3, interrupted: 'SIGINT' })).toBe(EXIT.SIGINT);
    expect(exitCodeFor({ failed: 0, interrupted: 'SIGTERM' })).toBe(EXIT.SIGTERM);
    // Stopped by a library caller's own reason: as Ctrl-C.
    expect(exitCodeFor({ failed: 0, interrupted: 'aborted' })).toBe(EXIT.SIGINT);
    expect(EXIT).toEqual({ OK: 0, FAILED: 1, USAGE: 2, PIPE: 141, SIGINT: 130, SIGTERM: 143 });
  });
});
