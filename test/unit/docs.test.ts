import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import type { OptionSpec } from '../../src/cli/command.js';
import { GET_OPTIONS } from '../../src/cli/commands/get-options.js';
import { ERROR_CODES } from '../../src/errors.js';
import { parseSize, synthBytes } from '../../src/server/synth.js';

const read = (p: string) => fs.readFile(new URL(`../../${p}`, import.meta.url), 'utf8');

/** A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const [, title] of withoutFences(markdown).matchAll(/^#{1,6} +(.+)$/gm)) {
    const base = title!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Markdown without its fenced blocks, where a `# ...` line is no heading. */
const withoutFences = (markdown: string) => markdown.replace(/^```[\s\S]*?^```/gm, '');

/** Markdown without fenced blocks and code spans, where a `[x](y)` is no link. */
const withoutCode = (markdown: string) => withoutFences(markdown).replace(/`[^`\n]*`/g, '');

describe('README and samples stay true', () => {
  it('the README error table lists every error code', async () => {
    const readme = await read('README.md');
    for (const code of Object.keys(ERROR_CODES))
      expect(readme, code).toMatch(new RegExp(`\\|\\s*\`${code}\`\\s*\\|`));
  });

  it('every error code is raised somewhere in src (a documented code nothing raises is a promise not kept)', async () => {
    const names = (await fs.readdir(new URL('../../src', import.meta.url), { recursive: true })).filter((f) =>
      f.endsWith('.ts'),
    );
    const sources = await Promise.all(
      names.map(async (f) => ts.createSourceFile(f, await read(`src/${f}`), ts.ScriptTarget.Latest, true)),
    );
    const raised = raisedCodes(sources);
    const missing = Object.keys(ERROR_CODES).filter((code) => !raised.has(code));
    expect(missing, 'codes no `new DlpoolError(CODE`, subclass or failed result carries').toEqual([]);
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

  it('the curl / wget / aria2c table names only flags dlpool get has (a renamed or removed one fails here)', async () => {
    const readme = await read('README.md');
    const at = readme.indexOf('### If you use curl, wget or aria2c');
    expect(at).toBeGreaterThan(0);
    const lines = readme.slice(at).split('\n');
    const first = lines.findIndex((l) => l.startsWith('|'));
    const end = lines.findIndex((l, i) => i > first && !l.startsWith('|'));
    const header = lines[first]!.split('|').map((c) => c.trim());
    expect(header.slice(1, -1)).toEqual(['to', 'curl', 'wget', 'aria2c', 'dlpool']);
    // Each row: a task, then the flag each tool does it with; the dlpool cell's code spans are its flags.
    const rows = lines.slice(first + 2, end).map((l) => l.split(/(?<!\\)\|/).map((c) => c.trim()));
    expect(rows.length).toBeGreaterThan(10);
    const options = GET_OPTIONS as readonly OptionSpec[];
    const namesOf = (o: OptionSpec) => [
      ...[o.flag, ...(o.alias ?? [])].map((n) => (n.length === 1 ? `-${n}` : `--${n}`)),
      // yargs' negation of a boolean: `--no-remote-time`.
      ...(o.kind === 'boolean' ? [`--no-${o.flag}`] : []),
    ];
    const declared = new Set(options.flatMap(namesOf));
    const named = new Set<string>();
    for (const row of rows) {
      expect(row, row.join('|')).toHaveLength(7);
      const flags = [...row[5]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!.split(/[ =]/)[0]!);
      expect(flags.length, row[1]).toBeGreaterThan(0);
      for (const f of flags) expect(declared, `${row[1]}: ${f}`).toContain(f);
      for (const f of flags) named.add(f);
    }
    // The everyday options curl, wget and aria2c users reach for (issue 27's list): each has its row.
    const everyday = ['timestamping', 'remote-time', 'output', 'netrc', 'cookie', 'cookie-jar', 'verbose'];
    everyday.push('spider', 'insecure', 'http2');
    const missing = everyday.filter((flag) => {
      const o = options.find((x) => x.flag === flag);
      return o === undefined || !namesOf(o).some((n) => named.has(n));
    });
    expect(missing).toEqual([]);
  });

  it('every relative link of the README and docs/ leads to a file, and every #anchor to a heading there', async () => {
    const docs = (await fs.readdir(new URL('../../docs', import.meta.url))).filter((f) => f.endsWith('.md'));
    const pages = ['README.md', ...docs.map((f) => `docs/${f}`)];
    expect(pages.length).toBeGreaterThan(5);
    const broken: string[] = [];
    let checked = 0;
    for (const page of pages) {
      const text = await read(page);
      for (const [, target] of withoutCode(text).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue; // https:, mailto:
        checked++;
        const [file, anchor] = target!.split('#') as [string, string | undefined];
        const to = file === '' ? page : path.posix.normalize(path.posix.join(path.posix.dirname(page), file));
        const body = await read(to).catch(() => undefined);
        if (body === undefined) broken.push(`${page}: ${target} (no file ${to})`);
        else if (anchor !== undefined && to.endsWith('.md') && !anchors(body).has(anchor))
          broken.push(`${page}: ${target} (no heading #${anchor} in ${to})`);
      }
    }
    expect(checked).toBeGreaterThan(30);
    expect(broken).toEqual([]);
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

/** The string literals an expression can evaluate to (`'A'`, `cond ? 'A' : 'B'`). */
function literals(e: ts.Expression | undefined): string[] {
  if (e === undefined) return [];
  if (ts.isStringLiteralLike(e)) return [e.text];
  if (ts.isConditionalExpression(e)) return [...literals(e.whenTrue), ...literals(e.whenFalse)];
  if (ts.isParenthesizedExpression(e)) return literals(e.expression);
  return [];
}

/**
 * The error codes src raises, read from the syntax (comments, comparisons and lists of codes do not count):
 * `new DlpoolError('CODE', ...)`; `new Sub(...)` where class Sub extends DlpoolError (or a subclass of it) and
 * calls `super('CODE', ...)`; and a failure reported as a result, an object literal with `code: 'CODE'` and a
 * `message`.
 */
function raisedCodes(sources: ts.SourceFile[]): Set<string> {
  const raised = new Set<string>();
  const superCode = new Map<string, string>();
  const parentOf = new Map<string, string>();
  const constructed = new Map<string, string[]>();
  const visit = (n: ts.Node): void => {
    if (ts.isClassDeclaration(n) && n.name) {
      const base = n.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0];
      if (base) parentOf.set(n.name.text, base.expression.getText());
      n.forEachChild(function findSuper(m: ts.Node): void {
        if (ts.isCallExpression(m) && m.expression.kind === ts.SyntaxKind.SuperKeyword)
          for (const code of literals(m.arguments[0])) superCode.set(n.name!.text, code);
        m.forEachChild(findSuper);
      });
    }
    if (ts.isNewExpression(n)) {
      const cls = n.expression.getText();
      constructed.set(cls, [...(constructed.get(cls) ?? []), ...literals(n.arguments?.[0])]);
    }
    if (ts.isObjectLiteralExpression(n)) {
      const prop = (name: string) =>
        n.properties.find(
          (p) =>
            (ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p)) && p.name.getText() === name,
        );
      const code = prop('code');
      if (code && ts.isPropertyAssignment(code) && prop('message'))
        for (const c of literals(code.initializer)) raised.add(c);
    }
    n.forEachChild(visit);
  };
  for (const sf of sources) visit(sf);
  const isDlpoolError = (cls: string): boolean =>
    cls === 'DlpoolError' || (parentOf.has(cls) && isDlpoolError(parentOf.get(cls)!));
  for (const [cls, codes] of constructed) {
    if (!isDlpoolError(cls)) continue;
    if (cls === 'DlpoolError') for (const c of codes) raised.add(c);
    else if (superCode.has(cls)) raised.add(superCode.get(cls)!);
  }
  return raised;
}
