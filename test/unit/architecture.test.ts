import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The rooms of src/ from the top (what only the user calls) to the bottom (what everything may use). A room may
 * import from its own layer or a lower one, never from a higher one; type-only imports count too. A folder is a
 * room; a file directly in src/ is its own room, named here.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['cli'],
  ['api', 'bench', 'server'],
  ['queue'],
  ['run', 'shards'],
  ['engine'],
  ['fetch'],
  ['sinks'],
  ['policy'],
  ['verify'],
  ['options'],
  ['transport', 'credentials', 'store', 'file', 'hash', 'jobs', 'sources', 'report'],
  ['common', 'errors', 'errno-text', 'events', 'option-values', 'paths', 'version'],
];
const TOP_FILES: Record<string, string> = {
  'index.ts': 'api',
  'download.ts': 'run',
  'download-options.ts': 'options',
};

const SRC = path.resolve(import.meta.dirname, '../../src');

function sourceFiles(dir = SRC): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') ? [path.relative(SRC, p)] : [];
  });
}

/** `import ... from`, `export ... from`, `import '...'` and `import('...')` of a relative path, types included. */
const IMPORT =
  /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"](\.[^'"]+)['"]|\bimport\s*\(?\s*['"](\.[^'"]+)['"]/g;

function importsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(SRC, file), 'utf8');
  return [...text.matchAll(IMPORT)].map((m) =>
    path.normalize(path.join(path.dirname(file), (m[1] ?? m[2])!.replace(/\.js$/, '.ts'))),
  );
}

/** Every import of the undici package (`undici`, `undici/...`, its `undici-types`): static, `export ... from`, `import()`, `require()`. */
const UNDICI =
  /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"](undici(?:-types)?(?:\/[^'"]*)?)['"]|\b(?:import|require)\s*\(\s*['"](undici(?:-types)?(?:\/[^'"]*)?)['"]/g;

/** Where undici may be imported: its adapter's folder, which keeps its types, codes and timeouts to itself. */
const UNDICI_HOME = path.join('transport', 'undici') + path.sep;

function undiciImportsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(SRC, file), 'utf8');
  return [...text.matchAll(UNDICI)].map((m) => `${file}: ${(m[1] ?? m[2])!}`);
}

function roomOf(file: string): string {
  const [first, ...rest] = file.split(path.sep);
  if (rest.length > 0) return first!;
  return TOP_FILES[first!] ?? first!.replace(/\.ts$/, '');
}

/** Every circle of the graph (its strongly connected components of more than one node, or a node on itself). */
function circles(graph: Map<string, Set<string>>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || graph.get(v)?.has(v)) found.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

const files = sourceFiles();
const fileGraph = new Map(files.map((f) => [f, new Set(importsOf(f))]));
const roomGraph = new Map<string, Set<string>>();
for (const [from, tos] of fileGraph) {
  const room = roomOf(from);
  const set = roomGraph.get(room) ?? new Set<string>();
  roomGraph.set(room, set);
  for (const to of tos) if (roomOf(to) !== room) set.add(roomOf(to));
}
const layerOf = new Map(LAYERS.flatMap((rooms, i) => rooms.map((r) => [r, i] as const)));

describe('the import graph of src/', () => {
  it('reads the imports (a sanity check of the reader itself)', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(fileGraph.get('index.ts')).toContain('download.ts');
    for (const [from, tos] of fileGraph)
      for (const to of tos) expect(files, `${from} imports ${to}, which does not exist`).toContain(to);
  });

  it('every room has a layer', () => {
    expect([...roomGraph.keys()].filter((r) => !layerOf.has(r))).toEqual([]);
  });

  it('has no import circle between files', () => {
    expect(circles(fileGraph)).toEqual([]);
  });

  it('has no import circle between rooms', () => {
    expect(circles(roomGraph)).toEqual([]);
  });

  it('has no import from a lower layer to a higher one', () => {
    const upward: string[] = [];
    for (const [from, tos] of fileGraph)
      for (const to of tos)
        if ((layerOf.get(roomOf(to)) ?? Infinity) < (layerOf.get(roomOf(from)) ?? -1))
          upward.push(`${from} -> ${to}`);
    expect(upward).toEqual([]);
  });

  it('imports undici only inside transport/undici/ (the re-exports of transport/ name the adapter, not undici)', () => {
    expect(files.filter((f) => f.startsWith(UNDICI_HOME)).flatMap(undiciImportsOf).length).toBeGreaterThan(0);
    expect(files.filter((f) => !f.startsWith(UNDICI_HOME)).flatMap(undiciImportsOf)).toEqual([]);
  });

  it('no room of the engine (all but cli/) holds 1,500 lines or more', () => {
    const lines = new Map<string, number>();
    for (const f of files) {
      const room = roomOf(f);
      if (room === 'cli' || !f.includes(path.sep)) continue;
      lines.set(
        room,
        (lines.get(room) ?? 0) + fs.readFileSync(path.join(SRC, f), 'utf8').split('\n').length - 1,
      );
    }
    expect([...lines].filter(([, n]) => n >= 1500)).toEqual([]);
  });

  it('cli/main.ts routes (parser, checks, exit) and holds nothing else: under 80 lines', () => {
    const main = fs.readFileSync(path.join(SRC, 'cli', 'main.ts'), 'utf8');
    expect(main.split('\n').length - 1).toBeLessThan(80);
  });
});
