import fs from 'node:fs';
import { expect, it } from 'vitest';
import { createsPerSecond } from '../../../../bench/lib/files.js';
import { tmpDir } from '../../../helpers/tmp.js';

it('measures file creation in the folder and leaves nothing there', async () => {
  const dir = await tmpDir();
  const rate = createsPerSecond(dir, 200);
  expect(Number.isInteger(rate) && rate > 0).toBe(true);
  expect(fs.readdirSync(dir)).toEqual([]);
});
