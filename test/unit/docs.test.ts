import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/errors.js';
import { parseSize, synthBytes } from '../../src/server/synth.js';

const read = (p: string) => fs.readFile(new URL(`../../${p}`, import.meta.url), 'utf8');

describe('README and samples stay true', () => {
  it('the README error table lists every error code', async () => {
    const readme = await read('README.md');
    for (const code of Object.keys(ERROR_CODES))
      expect(readme, code).toMatch(new RegExp(`\\|\\s*\`${code}\`\\s*\\|`));
  });

  it('every error code is raised somewhere in src (a documented code nothing raises is a promise not kept)', async () => {
    const files = (await fs.readdir(new URL('../../src', import.meta.url), { recursive: true }))
      .filter((f) => f.endsWith('.ts') && f !== 'errors.ts')
      .map((f) => read(`src/${f}`));
    const text = (await Promise.all(files)).join('\n');
    for (const code of Object.keys(ERROR_CODES)) expect(text, code).toContain(`'${code}'`);
  });

  it('no doc comment sits on top of another (the upper one describes some other declaration)', async () => {
    const names = (await fs.readdir(new URL('../../src', import.meta.url), { recursive: true })).filter((f) =>
      f.endsWith('.ts'),
    );
    const stacked: string[] = [];
    for (const f of names) {
      const lines = (await read(`src/${f}`)).split('\n');
      lines.forEach((l, i) => {
        if (l.trim().endsWith('*/') && lines[i + 1]?.trim().startsWith('/**'))
          stacked.push(`src/${f}:${i + 2}`);
      });
    }
    expect(stacked).toEqual([]);
  });

  it('samples/demo.sha256 matches what dlpool serve sends for samples/demo.txt', async () => {
    const urls = (await read('samples/demo.txt')).split('\n').filter((l) => l.startsWith('http'));
    const sums = new Map(
      (await read('samples/demo.sha256'))
        .trim()
        .split('\n')
        .map((l) => [l.slice(66), l.slice(0, 64)] as const),
    );
    expect(urls.length).toBe(sums.size);
    for (const u of urls) {
      const p = new URL(u).pathname;
      const size = parseSize(p.split('/')[2] ?? '')!;
      const digest = crypto
        .createHash('sha256')
        .update(synthBytes(p, 0, size))
        .digest('hex');
      expect(sums.get(p.split('/').pop()!), p).toBe(digest);
    }
  });
});
