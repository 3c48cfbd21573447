import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { CookieJar, MemoryCookieStore } from 'tough-cookie';
import { reasonOf } from '../errno-text.js';
import { DlpoolError } from '../errors.js';
import type { EventListener } from '../events.js';
import { VERSION } from '../version.js';
import type { CookieAccess, CookieChoice } from './cookie-access.js';
import { formatCookieFile, parseCookieFile } from './cookie-file.js';

/** Bad lines of a cookie file named one by one; the rest are counted. */
const SHOWN_BAD_LINES = 10;

/**
 * The run's cookies (--cookie, --cookie-jar), on the main thread: tough-cookie's jar decides which cookie goes to
 * which URL (domain, path, secure, expiry) and which Set-Cookie is kept; this class loads, asks and writes it.
 */
export class CookieSession implements CookieAccess {
  readonly #jar = new CookieJar(new MemoryCookieStore());

  private constructor(private readonly literal: string | undefined) {}

  /**
   * Loads --cookie's file. A missing file is an error (a typo would lose the session silently), except the
   * --cookie-jar file itself: `-b jar -c jar` starts the session its first run writes.
   */
  static async load(choice: CookieChoice, emit: EventListener): Promise<CookieSession> {
    const session = new CookieSession(choice.literal);
    const file = choice.file;
    if (file === undefined) return session;
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && file === choice.jar) return session;
      throw new DlpoolError('ERR_DL_INPUT', `cannot read cookie file '${file}': ${reasonOf(err)}`, {
        cause: err,
      });
    }
    const { cookies, bad } = parseCookieFile(text);
    for (const { cookie } of cookies) await session.#jar.store.putCookie(cookie);
    for (const b of bad.slice(0, SHOWN_BAD_LINES)) {
      emit({ type: 'warning', message: `skipped: ${b.why}`, source: file, line: b.line });
    }
    if (bad.length > SHOWN_BAD_LINES) {
      emit({ type: 'warning', message: `${bad.length - SHOWN_BAD_LINES} more lines skipped`, source: file });
    }
    return session;
  }

  header(url: string): string {
    const fromJar = this.#jar.getCookieStringSync(url);
    if (this.literal === undefined) return fromJar;
    return fromJar === '' ? this.literal : `${this.literal}; ${fromJar}`;
  }

  store(url: string, setCookie: readonly string[]): void {
    // A cookie the rules refuse (another domain, a public suffix, a bad line) is dropped, as browsers do.
    for (const v of setCookie) this.#jar.setCookieSync(v, url, { ignoreError: true });
  }

  /** Every live cookie as a Netscape cookie file. */
  async text(): Promise<string> {
    const live = (await this.#jar.store.getAllCookies()).filter((c) => c.TTL() > 0);
    return formatCookieFile(live, VERSION);
  }

  /** Writes every live cookie to `stream` (curl -c -), resolved once the stream took them. */
  async writeTo(stream: NodeJS.WritableStream): Promise<void> {
    const text = await this.text();
    await new Promise<void>((resolve, reject) => {
      stream.write(text, (err) =>
        err
          ? reject(
              new DlpoolError('ERR_DL_FILE', `cannot write the cookie jar to stdout: ${reasonOf(err)}`, {
                cause: err,
              }),
            )
          : resolve(),
      );
    });
  }

  /**
   * Writes every live cookie to `file` whole: into a temporary file beside it, then renamed over it, so a reader
   * (or a run interrupted while writing) sees the old jar or the new one, never half of one. Mode 0600: cookies
   * are credentials.
   */
  async save(file: string): Promise<void> {
    const text = await this.text();
    const tmp = path.join(
      path.dirname(file),
      `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`,
    );
    try {
      await fs.writeFile(tmp, text, { mode: 0o600, flag: 'wx' });
      await fs.rename(tmp, file);
    } catch (err) {
      await fs.rm(tmp, { force: true }).catch(() => {});
      throw new DlpoolError('ERR_DL_FILE', `cannot write cookie jar '${file}': ${reasonOf(err)}`, {
        cause: err,
      });
    }
  }
}
