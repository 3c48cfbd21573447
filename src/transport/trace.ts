import { redactText } from '../errors.js';
import type { HttpVersion } from './transport.js';

/**
 * The lines of --verbose, as curl -v writes them: `> ` before what was sent, `< ` before what came back. Secrets
 * never reach them: the values of Authorization, Proxy-Authorization, Cookie and Set-Cookie are replaced (the
 * scheme of a credential and the names and attributes of cookies stay: they are what one debugs), and URLs in
 * Location lose their user:pass@. Lines are text as received; the CLI makes them terminal-safe.
 */

const HIDDEN = '[redacted]';

/**
 * The request of one hop: its line, Host, and the headers dlpool gives the transport. `version`: the HTTP version
 * it goes in, when known before the answer (HTTP/1.1 unless HTTP/2 is offered); else the line names none, and the
 * answer's line says which it was.
 */
export function requestLines(
  url: URL,
  headers: Readonly<Record<string, string>>,
  close: boolean,
  method: string,
  version: HttpVersion | undefined,
): string[] {
  const line = `> ${method} ${url.pathname}${url.search}${version ? ` ${httpName(version)}` : ''}`;
  const lines = [line, `> Host: ${url.host}`];
  for (const [name, value] of Object.entries(headers)) lines.push(`> ${name}: ${shownValue(name, value)}`);
  if (close) lines.push('> connection: close');
  return lines;
}

/** The answer of one hop: its status line and every header (a repeated one on a line each), as received. */
export function responseLines(
  statusCode: number,
  statusText: string,
  headers: Readonly<Record<string, string | string[] | undefined>>,
  protocol: HttpVersion | undefined = '1.1',
): string[] {
  const lines = [`< ${httpName(protocol)} ${statusCode}${statusText ? ` ${statusText}` : ''}`];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) lines.push(`< ${name}: ${shownValue(name, v)}`);
  }
  return lines;
}

function shownValue(name: string, value: string): string {
  switch (name.toLowerCase()) {
    case 'authorization':
    case 'proxy-authorization': {
      // `Basic [redacted]`: the scheme says which credentials went, the rest is the secret.
      const scheme = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) /.exec(value)?.[1];
      return scheme ? `${scheme} ${HIDDEN}` : HIDDEN;
    }
    case 'cookie':
      return value
        .split(';')
        .map((pair) => cookieName(pair))
        .join('; ');
    case 'set-cookie': {
      const [pair = '', ...attributes] = value.split(';');
      return [cookieName(pair), ...attributes.map((a) => a.trim())].join('; ');
    }
    case 'location':
    case 'content-location':
    case 'referer':
      return redactText(value);
    default:
      return value;
  }
}

/** `name=[redacted]`, or the whole pair hidden when it has no `=` (curl sends such a value as the name). */
function cookieName(pair: string): string {
  const eq = pair.indexOf('=');
  return eq === -1 ? HIDDEN : `${pair.slice(0, eq).trim()}=${HIDDEN}`;
}

/** As curl -v names versions: `HTTP/1.1`, `HTTP/2`. */
function httpName(v: HttpVersion): string {
  return `HTTP/${v}`;
}
