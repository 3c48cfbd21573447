/**
 * Paths through a pinned directory (`/proc/PID/fd/N/NAME`, see file/dirs.ts) are what dlpool opens; messages show
 * the directory's real path instead. Each pinned directory registers its prefix here while it is open.
 */
const shownDirs = new Map<string, string>();

export function registerShown(prefix: string, dir: string): void {
  shownDirs.set(prefix, dir);
}

export function unregisterShown(prefix: string): void {
  shownDirs.delete(prefix);
}

/** `p` as a user should read it: the real directory in place of a `/proc/PID/fd/N/` prefix. */
export function shownPath(p: string): string {
  if (!p.startsWith('/proc/')) return p;
  const cut = p.indexOf('/', p.indexOf('/fd/') + 4);
  const dir = cut < 0 ? undefined : shownDirs.get(p.slice(0, cut + 1));
  return dir === undefined ? p : `${dir}${p.slice(cut)}`;
}
