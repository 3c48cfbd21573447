/**
 * The file name a Content-Disposition header offers (RFC 6266): `filename*=` (RFC 8187, UTF-8 or ISO-8859-1,
 * percent-encoded) wins over `filename=`. Returns the raw name; the caller sanitises it like any other name.
 */
export function filenameFromContentDisposition(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  let plain: string | undefined;
  let extended: string | undefined;
  // params: ; key=token | ; key="quoted \" string"
  const re = /;\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/g;
  for (const m of value.matchAll(re)) {
    const key = (m[1] ?? '').toLowerCase();
    let v = (m[2] ?? '').trim();
    if (key === 'filename*') {
      const ext = /^([A-Za-z0-9!#$%&+^_`{}~-]+)'[^']*'(.*)$/.exec(v);
      if (!ext) continue;
      const charset = (ext[1] ?? '').toLowerCase();
      try {
        const raw = ext[2] ?? '';
        extended =
          charset === 'utf-8'
            ? decodeURIComponent(raw)
            : charset === 'iso-8859-1'
              ? raw.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) =>
                  String.fromCharCode(Number.parseInt(h, 16)),
                )
              : undefined;
      } catch {
        // Malformed percent-encoding: fall back to filename=.
      }
    } else if (key === 'filename') {
      if (v.startsWith('"')) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
      plain = v;
    }
  }
  const name = extended ?? plain;
  return name === undefined || name === '' ? undefined : name;
}
