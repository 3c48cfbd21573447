import fs from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (p: string) => fs.readFileSync(new URL(`../../${p}`, import.meta.url), 'utf8');

/** The commands of the README's install block (marked `<!-- install: ... -->`), comments dropped. */
function installBlock(): string[] {
  const readme = read('README.md');
  const block = /<!-- install:[^>]*-->\n```sh\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(block, 'the marked install block').toBeDefined();
  return block!
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter((l) => l !== '');
}

/**
 * A README command as .ci/run writes it: the prefix is a temporary folder, the tarball the one `npm pack` wrote
 * there, and `man -w` finds the page without opening a pager.
 */
const asInCi = (command: string) =>
  command
    .replaceAll('~/.local', '$tmp/prefix')
    .replace(/dlpool-[\w.-]+\.tgz/, '$tarball')
    .replace(/\bman dlpool$/, 'man -w dlpool');

/** `words` appear in `line` in this order. */
function inOrder(line: string, words: string[]): boolean {
  let at = 0;
  for (const w of words) {
    const i = line.indexOf(w, at);
    if (i < 0) return false;
    at = i + w.length;
  }
  return true;
}

describe("the README's global install", () => {
  const ci = read('.ci/run').split('\n');
  const afterTest = ci.slice(ci.indexOf('npm test') + 1).map((l) => l.replaceAll('"', ''));

  it('is what .ci/run runs after npm test, command by command', () => {
    expect(ci).toContain('npm test');
    const commands = installBlock();
    expect(commands.length).toBeGreaterThanOrEqual(4);
    for (const command of commands) {
      const words = asInCi(command).split(/\s+/);
      expect(
        afterTest.some((l) => inOrder(l, words)),
        `${command} (as ${words.join(' ')})`,
      ).toBe(true);
    }
    // And a download by the installed command from its own server on loopback.
    expect(afterTest.some((l) => /dlpool serve --port 0\b/.test(l))).toBe(true);
    expect(afterTest.some((l) => /^\s*dlpool -i \S+ -c SUMS/.test(l))).toBe(true);
  });

  it("names the tarball npm pack writes for this package's version", () => {
    const { version } = JSON.parse(read('package.json')) as { version: string };
    const named = installBlock()
      .join('\n')
      .match(/dlpool-[\w.-]+\.tgz/g);
    expect(named?.length).toBeGreaterThan(0);
    for (const n of named!) expect(n).toBe(`dlpool-${version}.tgz`);
  });
});
