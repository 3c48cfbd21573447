import crypto from 'node:crypto';

const usable = new Map<string, boolean>();

/**
 * True when node:crypto can really hash with `name`. getHashes() also lists algorithms that OpenSSL 3 keeps
 * in its legacy provider (whirlpool, md4, ...), which fail only when first used.
 */
export function isUsableHash(name: string): boolean {
  let ok = usable.get(name);
  if (ok === undefined) {
    try {
      ok = crypto.getHashes().includes(name) && crypto.createHash(name).digest() !== undefined;
    } catch {
      ok = false;
    }
    usable.set(name, ok);
  }
  return ok;
}

/** A few usable names, for error messages. */
export function someHashes(): string {
  return crypto
    .getHashes()
    .filter((h) => /^(sha|md5|blake)/.test(h) && isUsableHash(h))
    .slice(0, 10)
    .join(', ');
}
