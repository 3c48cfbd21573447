import { Cookie } from 'tough-cookie';
import { HEADER_VALUE_BAD } from '../option-values.js';

/**
 * The Netscape cookie file that curl -c, wget --save-cookies and browsers' exporters write: one cookie a line,
 * seven tab-separated fields (domain, include subdomains TRUE/FALSE, path, secure TRUE/FALSE, expiry in
 * seconds since 1970 with 0 for a session cookie, name, value); `#HttpOnly_` before the domain marks an HttpOnly
 * cookie; other lines starting with `#`, and empty ones, are comments. Only the format is read and written
 * here: which cookie goes where is tough-cookie's business.
 */

export interface CookieLine {
  cookie: Cookie;
  line: number;
}

export interface BadCookieLine {
  line: number;
  why: string;
}

const HTTP_ONLY = '#HttpOnly_';

type Seven = [string, string, string, string, string, string, string];

/** The cookies of a Netscape cookie file, and the lines that are not cookies (to be warned about). */
export function parseCookieFile(text: string): { cookies: CookieLine[]; bad: BadCookieLine[] } {
  const cookies: CookieLine[] = [];
  const bad: BadCookieLine[] = [];
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  lines.forEach((raw, i) => {
    let l = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const httpOnly = l.startsWith(HTTP_ONLY);
    if (httpOnly) l = l.slice(HTTP_ONLY.length);
    else if (l.startsWith('#') || l.trim() === '') return;
    const f = l.split('\t');
    // A cookie with an empty value may lose its last tab to an editor: six fields are taken as seven.
    if (f.length === 6) f.push('');
    if (f.length !== 7)
      return bad.push({ line: i + 1, why: `expected 7 tab-separated fields, got ${f.length}` });
    const [domainIn, sub, path, secure, expiry, key, value] = f as Seven;
    const domain = domainIn.replace(/^\./, '').toLowerCase();
    const seconds = Number(expiry);
    if (domain === '' || !Number.isSafeInteger(seconds) || seconds < 0 || !path.startsWith('/')) {
      return bad.push({ line: i + 1, why: 'not a cookie (domain, path or expiry)' });
    }
    // Sent, a character no header can carry would fail every request of the run, and a ';' would add a cookie.
    if (key === '' || /[=;]/.test(key) || value.includes(';') || HEADER_VALUE_BAD.test(key + value)) {
      return bad.push({ line: i + 1, why: 'a cookie name or value no request can carry' });
    }
    const cookie = new Cookie({
      key,
      value,
      domain,
      path,
      secure: secure === 'TRUE',
      httpOnly,
      // FALSE: the host alone, not its subdomains (curl writes a leading dot with TRUE).
      hostOnly: sub !== 'TRUE',
      expires: seconds === 0 ? 'Infinity' : new Date(seconds * 1000),
    });
    cookies.push({ cookie, line: i + 1 });
  });
  return { cookies, bad };
}

/** The cookies as a Netscape cookie file (session cookies with expiry 0, as curl writes them). */
export function formatCookieFile(cookies: readonly Cookie[], version: string): string {
  const out = [
    '# Netscape HTTP Cookie File',
    `# Written by dlpool ${version}: domain, subdomains, path, secure, expiry, name, value.`,
    '',
  ];
  for (const c of cookies) {
    // A server may set a Path holding a tab (tough-cookie keeps it): written, it would shift the line's fields.
    if (/[\t\r\n]/.test(`${c.domain ?? ''}${c.path ?? ''}${c.key}${c.value}`)) continue;
    const expiry = c.expiryTime();
    const seconds = expiry === undefined || !Number.isFinite(expiry) ? 0 : Math.floor(expiry / 1000);
    const domain = c.hostOnly ? (c.domain ?? '') : `.${c.domain ?? ''}`;
    out.push(
      [
        `${c.httpOnly ? HTTP_ONLY : ''}${domain}`,
        c.hostOnly ? 'FALSE' : 'TRUE',
        c.path ?? '/',
        c.secure ? 'TRUE' : 'FALSE',
        String(seconds),
        c.key,
        c.value,
      ].join('\t'),
    );
  }
  return `${out.join('\n')}\n`;
}
