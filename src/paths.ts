/**
 * The package's own files (package.json, workers, samples) by path from its root. This module sits directly
 * below the root's `src/` or `dist/` both as TypeScript (tests), as compiled by tsc, and inside the bundled CLI
 * (whose chunks all sit directly in `dist/`), so one relative URL serves all three.
 */
const ROOT = new URL('../', import.meta.url);

export function packageUrl(relative: string): URL {
  return new URL(relative, ROOT);
}
