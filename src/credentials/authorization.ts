import { type NetrcEntry, netrcEntryFor } from './netrc.js';

/**
 * The Basic `Authorization` for a request to `url`, one of the URLs the run was given (an entry's or a
 * mirror's, never a redirect's target): the URL's own `user:pass@` wins, as in curl; else the netrc's entry for
 * its host, whose password also fills in a URL that names only its user. The caller keeps it on redirects to the
 * same origin only.
 */
export function authorizationFor(url: URL, netrc: readonly NetrcEntry[] | undefined): string | undefined {
  let user = url.username ? decodeURIComponent(url.username) : undefined;
  let pass = url.password ? decodeURIComponent(url.password) : undefined;
  if (pass === undefined && netrc !== undefined && netrc.length > 0) {
    const e = netrcEntryFor(netrc, url);
    if (e !== undefined && (e.login !== undefined || e.password !== undefined)) {
      user ??= e.login;
      pass = e.password;
    }
  }
  if (user === undefined && pass === undefined) return undefined;
  return `Basic ${Buffer.from(`${user ?? ''}:${pass ?? ''}`).toString('base64')}`;
}
