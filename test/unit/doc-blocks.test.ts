import fs from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (p: string) => fs.readFileSync(new URL(`../../${p}`, import.meta.url), 'utf8');

/**
 * Pages whose blocks no test runs: benchmarks.md shows the benchmark harness's own commands (`npm run bench*`),
 * which take minutes each and are what its tables come from.
 */
const UNRUN = new Set(['docs/benchmarks.md']);

/** What a block's mark says runs it: `<!-- KIND: PATH runs ... -->` on the line above the fence. */
const MARK = /^<!-- (example|library-example|commands|install|setup): (\S+) [^>]*-->$/;

const PAGES = [
  'README.md',
  ...fs
    .readdirSync(new URL('../../docs', import.meta.url))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
].filter((p) => !UNRUN.has(p));

describe('the fenced blocks of the README and docs/', () => {
  it('each follows a mark naming the test (or .ci/run) that runs it', () => {
    const unmarked: string[] = [];
    let marked = 0;
    for (const page of PAGES) {
      const lines = read(page).split('\n');
      let inFence = false;
      lines.forEach((line, i) => {
        if (!line.startsWith('```')) return;
        inFence = !inFence;
        if (!inFence) return;
        const mark = MARK.exec(lines[i - 1] ?? '');
        if (mark === null) unmarked.push(`${page}:${i + 1}`);
        else {
          marked++;
          expect(
            fs.existsSync(new URL(`../../${mark[2]!}`, import.meta.url)),
            `${page}:${i}: ${mark[2]}`,
          ).toBe(true);
        }
      });
    }
    expect(unmarked).toEqual([]);
    expect(marked).toBeGreaterThan(15);
  });
});
