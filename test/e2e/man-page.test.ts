import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { flagNames } from '../../src/cli/completion.js';
import { EXIT } from '../../src/report/summary.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  man?: string | string[];
  files?: string[];
};
const PAGE = path.join(ROOT, [pkg.man ?? []].flat()[0] ?? 'dlpool.1');

function has(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The page as `man` shows it, as plain text (bold and underline overstrikes removed). */
async function rendered(): Promise<string> {
  const { stdout } = await run('man', ['-l', '-P', 'cat', PAGE], {
    env: { ...process.env, MANWIDTH: '100', MAN_KEEP_FORMATTING: '', LANG: 'C.UTF-8' },
  });
  return stdout.replace(/.\x08/g, '');
}

describe('man page (npm run build writes it)', () => {
  it('package.json lists it under man and ships its folder', () => {
    expect(pkg.man).toBeDefined();
    const rel = path.relative(ROOT, PAGE);
    expect(rel).toMatch(/dlpool\.1$/);
    expect(pkg.files?.some((f) => rel === f || rel.startsWith(`${f}/`))).toBe(true);
  });

  it.runIf(has('groff'))('groff formats it without a warning', async () => {
    const { stderr } = await run('groff', ['-man', '-ww', '-z', '-Tutf8', PAGE]);
    expect(stderr).toBe('');
  });

  it.runIf(has('man'))('man -l renders every command, every flag, every exit code', async () => {
    const text = await rendered();
    expect(text).toMatch(/^DLPOOL\(1\)/m);
    for (const c of COMMANDS) {
      expect(text).toContain(`dlpool ${c.name}`);
      for (const o of c.options) for (const f of flagNames(o)) expect(text).toContain(f);
    }
    for (const code of Object.values(EXIT)) expect(text).toMatch(new RegExp(`^ +${code}\\b`, 'm'));
  });

  // Where man and groff are missing the page is still checked as roff: one tagged paragraph per option.
  it('the roff has a .TP entry naming each option of each command', () => {
    const roff = readFileSync(PAGE, 'utf8');
    for (const c of COMMANDS) {
      expect(roff).toContain(`.SS "dlpool ${c.name}`);
      for (const o of c.options)
        expect(roff).toMatch(new RegExp(`^\\.TP\\n.*\\\\-\\\\-${o.flag.replace(/-/g, '\\\\-')}\\b`, 'm'));
    }
  });
});
